"""The outbox delivery worker: send due rows through a platform's Sender, record what happened.

A row is claimed (status "sending", a lease, attempts+1) in its own committed transaction before
the platform is called, then marked sent, failed, or pending again with a backoff. On PostgreSQL
several workers share the outbox with SELECT … FOR UPDATE SKIP LOCKED.

A row left "sending" by a process that died is claimed again: after its lease, or at once when the
worker that claimed it is known to be dead (scheduler/worker.py keeps an `outbox_claims` row and a
liveness lock). Sending it again may duplicate the message, if the platform had accepted it just
before the process died; a rare duplicate is preferred to a lost notice. Such a row is marked
POSSIBLE_DUPLICATE when sent, so `helpdesk notice status` can say so. The window is one platform
call per row in flight: a row is claimed right before its call, and marked sent right after it.

A refused bot token (TokenRefused) fails the row it met, with the reason, and is kept in the stats
(`refused`): the caller stops sending on that platform, since every other row would fail alike.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Collection

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.engine.messages import outbound_from_json
from bot.platforms.base import RetryLater, Sender, TokenRefused, Undeliverable
from bot.store.models import Notice, OutboxClaim, OutboxRow, utcnow
from bot.store.outbox import REPLY, UNSENT

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)
POSSIBLE_DUPLICATE = "sent again after an interrupted attempt"
# Kept on a row that failed again after an interrupted attempt, so its eventual "sent" is still
# known to be a possible duplicate.
AFTER_INTERRUPTION = " (after an interrupted attempt)"


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    refused: str | None = None  # the platform refused the bot token: why (never the token)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: str
    payload: dict[str, Any]
    recovered: bool  # it was "sending" already: an earlier attempt was interrupted


@dataclass(frozen=True)
class WorkerId:
    """A delivery worker as `outbox_claims` records it; `key` is its liveness lock's key."""

    key: int
    label: str


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """Retry-After when the platform gives it, else 2, 4, 8 … seconds, capped at 10 minutes."""
    if retry_after is not None:
        return timedelta(seconds=max(0.0, retry_after))
    return timedelta(seconds=min(600, 2 ** max(1, attempts)))


async def claim(
    sessions: async_sessionmaker[AsyncSession], platform: str, now: datetime,
    *, limit: int = 50, chat_id: str | None = None, worker: WorkerId | None = None,
    dead_workers: Collection[int] = (), lease: timedelta = LEASE,
) -> list[Claimed]:
    async with sessions.begin() as session:
        stale = [and_(OutboxRow.status == "sending", OutboxRow.locked_until < now)]
        if dead_workers:
            orphans = select(OutboxClaim.outbox_id).where(OutboxClaim.worker_key.in_(list(dead_workers)))
            stale.append(and_(OutboxRow.status == "sending", OutboxRow.id.in_(orphans)))
        due = or_(and_(OutboxRow.status == "pending", OutboxRow.not_before <= now), *stale)
        query = select(OutboxRow).where(OutboxRow.platform == platform, due, _in_turn()).order_by(OutboxRow.id).limit(limit)
        if chat_id is not None:
            query = query.where(OutboxRow.chat_id == chat_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(await session.scalars(query))
        claimed = [
            Claimed(row.id, row.chat_id, row.payload, row.status == "sending" or (row.last_error or "").endswith(AFTER_INTERRUPTION))
            for row in rows
        ]
        for row in rows:
            if row.status == "sending":
                log.warning("outbox row %s: an earlier attempt was interrupted; sending again", row.id)
            row.status = "sending"
            row.locked_until = now + lease
            row.attempts += 1
        if rows:
            await session.execute(delete(OutboxClaim).where(OutboxClaim.outbox_id.in_([row.id for row in rows])))
            if worker is not None:
                session.add_all(OutboxClaim(outbox_id=row.id, worker_key=worker.key, worker=worker.label, claimed_at=now) for row in rows)
        return claimed


def _in_turn() -> Any:
    """Replies to one chat go out in the order they were queued: a reply row waits while an earlier
    reply row to the same chat is unsent (one that is retried, or in flight)."""
    earlier = aliased(OutboxRow)
    replies = select(Notice.id).where(Notice.kind == REPLY)
    waiting = exists().where(
        earlier.platform == OutboxRow.platform, earlier.chat_id == OutboxRow.chat_id, earlier.id < OutboxRow.id,
        earlier.status.in_(UNSENT), earlier.notice_id.in_(replies),
    )
    return or_(OutboxRow.notice_id.not_in(replies), ~waiting)


async def _finish(sessions: async_sessionmaker[AsyncSession], row_id: int, **values: object) -> None:
    # Two plain statements, no read first: the shorter the time between the platform's answer and
    # this commit, the smaller the chance that a killed process leaves a sent row "sending".
    async with sessions.begin() as session:
        await session.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(**values, locked_until=None))
        await session.execute(delete(OutboxClaim).where(OutboxClaim.outbox_id == row_id))


async def deliver_one(
    sessions: async_sessionmaker[AsyncSession], sender: Sender, row: Claimed, stats: DeliveryStats,
    *, clock: Callable[[], datetime] = utcnow, timeout: float | None = None,
    on_retry_after: Callable[[str, float], None] | None = None,
) -> None:
    """Send one claimed row and record the outcome. `timeout` bounds the platform call (below the
    lease, so no other worker takes the row while this call may still succeed)."""
    try:
        message_id = await asyncio.wait_for(sender.send(row.chat_id, outbound_from_json(row.payload)), timeout)
    except Undeliverable as exc:
        await _finish(sessions, row.id, status="failed", last_error=_note(str(exc), row))
        stats.failed += 1
    except TokenRefused as exc:
        await _finish(sessions, row.id, status="failed", last_error=_note(str(exc), row))
        stats.failed += 1
        stats.refused = str(exc)
    except RetryLater as exc:
        if exc.retry_after is not None and on_retry_after is not None:
            on_retry_after(row.chat_id, exc.retry_after)
        await _retry(sessions, row.id, _note(str(exc), row), exc.retry_after, clock, stats)
    except asyncio.TimeoutError:
        await _retry(sessions, row.id, _note(f"no answer from {sender.platform} within {timeout} s", row), None, clock, stats)
    except Exception as exc:  # noqa: BLE001 - an unexpected sender error must not lose the row
        log.exception("sender %s failed on outbox row %s", sender.platform, row.id)
        await _retry(sessions, row.id, _note(f"{type(exc).__name__}: {exc}", row), None, clock, stats)
    else:
        note = POSSIBLE_DUPLICATE if row.recovered else None
        await _finish(sessions, row.id, status="sent", sent_at=clock(), platform_message_id=message_id, last_error=note)
        stats.sent += 1
        log.debug("outbox row %s sent on %s", row.id, sender.platform)


def _note(error: str, row: Claimed) -> str:
    return error[: 500 - len(AFTER_INTERRUPTION)] + AFTER_INTERRUPTION if row.recovered else error[:500]


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession], sender: Sender,
    *, clock: Callable[[], datetime] = utcnow, limit: int = 50, chat_id: str | None = None,
) -> DeliveryStats:
    stats = DeliveryStats()
    rows = await claim(sessions, sender.platform, clock(), limit=limit, chat_id=chat_id)
    for done, row in enumerate(rows):
        if stats.refused is not None:
            await release(sessions, [r.id for r in rows[done:]])
            break
        await deliver_one(sessions, sender, row, stats, clock=clock)
    return stats


async def release(sessions: async_sessionmaker[AsyncSession], row_ids: list[int]) -> None:
    """Claimed rows given back unsent, their attempt not counted: a refused token is no fault of theirs."""
    async with sessions.begin() as session:
        await session.execute(
            update(OutboxRow).where(OutboxRow.id.in_(row_ids), OutboxRow.status == "sending")
            .values(status="pending", locked_until=None, attempts=OutboxRow.attempts - 1)
        )
        await session.execute(delete(OutboxClaim).where(OutboxClaim.outbox_id.in_(row_ids)))


async def _retry(
    sessions: async_sessionmaker[AsyncSession], row_id: int, error: str, retry_after: float | None,
    clock: Callable[[], datetime], stats: DeliveryStats,
) -> None:
    async with sessions.begin() as session:
        await session.execute(delete(OutboxClaim).where(OutboxClaim.outbox_id == row_id))
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
