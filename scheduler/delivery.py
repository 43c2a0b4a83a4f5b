"""The outbox delivery worker: send due rows through a platform's Sender, record what happened.

A row is claimed (status "sending", a lease, attempts+1) in its own committed transaction before
the platform is called, then marked sent, failed, or pending again with a backoff. On PostgreSQL
several workers share the outbox with SELECT … FOR UPDATE SKIP LOCKED. A row whose lease expired
while "sending" (the process died during the call) is sent again: a rare duplicate is preferred to
a lost notice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.engine.messages import outbound_from_json
from bot.platforms.base import RetryLater, Sender, Undeliverable
from bot.store.models import OutboxRow, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """Retry-After when the platform gives it, else 2, 4, 8 … seconds, capped at 10 minutes."""
    if retry_after is not None:
        return timedelta(seconds=max(0.0, retry_after))
    return timedelta(seconds=min(600, 2 ** max(1, attempts)))


async def claim(
    sessions: async_sessionmaker[AsyncSession], platform: str, now: datetime,
    *, limit: int = 50, chat_id: str | None = None,
) -> list[tuple[int, str, dict]]:  # type: ignore[type-arg]
    async with sessions.begin() as session:
        due = or_(
            and_(OutboxRow.status == "pending", OutboxRow.not_before <= now),
            and_(OutboxRow.status == "sending", OutboxRow.locked_until < now),
        )
        query = select(OutboxRow).where(OutboxRow.platform == platform, due).order_by(OutboxRow.id).limit(limit)
        if chat_id is not None:
            query = query.where(OutboxRow.chat_id == chat_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(await session.scalars(query))
        for row in rows:
            row.status = "sending"
            row.locked_until = now + LEASE
            row.attempts += 1
        return [(row.id, row.chat_id, row.payload) for row in rows]


async def _finish(sessions: async_sessionmaker[AsyncSession], row_id: int, **values: object) -> None:
    async with sessions.begin() as session:
        row = await session.get(OutboxRow, row_id)
        if row is None:
            return
        for name, value in values.items():
            setattr(row, name, value)
        row.locked_until = None


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession], sender: Sender,
    *, clock: Callable[[], datetime] = utcnow, limit: int = 50, chat_id: str | None = None,
) -> DeliveryStats:
    stats = DeliveryStats()
    for row_id, target, payload in await claim(sessions, sender.platform, clock(), limit=limit, chat_id=chat_id):
        try:
            message_id = await sender.send(target, outbound_from_json(payload))
        except Undeliverable as exc:
            await _finish(sessions, row_id, status="failed", last_error=str(exc)[:500])
            stats.failed += 1
        except RetryLater as exc:
            await _retry(sessions, row_id, str(exc), exc.retry_after, clock, stats)
        except Exception as exc:  # noqa: BLE001 - an unexpected sender error must not lose the row
            log.exception("sender %s failed on outbox row %s", sender.platform, row_id)
            await _retry(sessions, row_id, f"{type(exc).__name__}: {exc}", None, clock, stats)
        else:
            await _finish(sessions, row_id, status="sent", sent_at=clock(), platform_message_id=message_id, last_error=None)
            stats.sent += 1
    return stats


async def _retry(
    sessions: async_sessionmaker[AsyncSession], row_id: int, error: str, retry_after: float | None,
    clock: Callable[[], datetime], stats: DeliveryStats,
) -> None:
    async with sessions.begin() as session:
        row = await session.get(OutboxRow, row_id)
        if row is None:
            return
        row.last_error = error[:500]
        row.locked_until = None
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
            stats.failed += 1
        else:
            row.status = "pending"
            row.not_before = clock() + backoff(row.attempts, retry_after)
            stats.retried += 1
