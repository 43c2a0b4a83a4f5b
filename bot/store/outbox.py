"""Queue notifications: a Notice and one outbox row per recipient chat. A delivery worker
(scheduler/delivery.py) sends the rows; queuing twice is harmless (unique keys).

Replies to a person's message that could not be sent in time come here too (`enqueue_replies`):
one notice of kind REPLY per reply, its ref naming the platform, the inbound event and the reply's
place, so a reply is queued once however often it is handed over. The worker sends a chat's reply
rows one after another, in the order they were queued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.messages import Outbound, outbound_to_json
from bot.store.models import Notice, OutboxRow
from bot.store.repo import insert_for

REPLY = "reply"  # the kind of a notice that is a reply handed over to the outbox
UNSENT = ("pending", "sending")


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


def reply_ref(platform: str, key: str, index: int) -> str:
    return f"{REPLY}:{platform}:{key}:{index}"[:200]


async def enqueue_replies(
    session: AsyncSession, *, platform: str, chat_id: str, key: str, replies: Sequence[tuple[int, Outbound]],
    now: datetime, not_before: datetime | None = None, person_id: int | None = None,
) -> None:
    """Replies to one inbound message (`key`: its event id), each with its place among that
    message's replies, as outbox rows in that order."""
    recipient = Recipient(platform, chat_id, person_id=person_id)
    for index, reply in replies:
        await enqueue(
            session, kind=REPLY, recipients=[recipient], render=_already_rendered(reply),
            now=now, ref=reply_ref(platform, key, index), send_at=not_before or now,
        )


async def replies_waiting(session: AsyncSession, platform: str, chat_id: str) -> bool:
    """Whether the chat has replies in the outbox not sent yet (a later reply must go after them)."""
    query = select(
        exists().where(
            OutboxRow.platform == platform, OutboxRow.chat_id == chat_id, OutboxRow.status.in_(UNSENT),
            OutboxRow.notice_id.in_(select(Notice.id).where(Notice.kind == REPLY)),
        )
    )
    return bool(await session.scalar(query))


def _already_rendered(reply: Outbound) -> Callable[[str], Outbound]:
    """A reply is in the person's language already."""
    return lambda _language: reply
