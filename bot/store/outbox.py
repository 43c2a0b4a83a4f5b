"""Queue notifications: a Notice and one outbox row per recipient chat. A delivery worker
(scheduler/delivery.py) sends the rows; queuing twice is harmless (unique keys)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.messages import Outbound, outbound_to_json
from bot.store.models import Notice, OutboxRow
from bot.store.repo import insert_for


@dataclass(frozen=True)
class Recipient:
    platform: str
    chat_id: str
    language: str = "ja"
    person_id: int | None = None


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    recipients: Iterable[Recipient],
    render: Callable[[str], Outbound],
    now: datetime,
    ref: str | None = None,
    audience: str | None = None,
    payload: dict[str, Any] | None = None,
    created_by: int | None = None,
    send_at: datetime | None = None,
) -> Notice:
    """One notice; each recipient gets the message rendered in their own language. With `ref`, a
    notice that already exists is reused (a retried filing does not notify twice)."""
    notice = await session.scalar(select(Notice).where(Notice.ref == ref)) if ref else None
    if notice is None:
        notice = Notice(
            kind=kind, ref=ref, audience=audience, payload=payload or {}, created_by=created_by,
            created_at=now, send_at=send_at or now,
        )
        session.add(notice)
        await session.flush()
    seen: set[tuple[str, str]] = set()
    for recipient in recipients:
        if (recipient.platform, recipient.chat_id) in seen:
            continue
        seen.add((recipient.platform, recipient.chat_id))
        statement = (
            insert_for(session, OutboxRow)
            .values(
                notice_id=notice.id, person_id=recipient.person_id, platform=recipient.platform,
                chat_id=recipient.chat_id, payload=outbound_to_json(render(recipient.language)),
                status="pending", attempts=0, not_before=send_at or now, created_at=now,
            )
            .on_conflict_do_nothing()
        )
        await session.execute(statement)
    return notice
