"""Notices: queue one to people (each in their language), cancel what is still pending, broadcast
to an audience, drafts confirmed in chat, and the delivery status of a notice."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.engine.messages import Outbound
from bot.store.core import rows_matched
from bot.store.models import Notice, NoticeDraft, OutboxRow, Person
from bot.store.outbox import enqueue
from scheduler.audience import Audience, parse_audience, participants, recipient_of
from scheduler.delivery import POSSIBLE_DUPLICATE
from scheduler.errors import ProgrammeError

log = logging.getLogger(__name__)

MAX_TEXT = 3000  # a broadcast is read on a phone; Slack shows about this much in one section


async def queue_notice(
    session: AsyncSession, *, kind: str, ref: str, people: Sequence[Person],
    render: Callable[[str], Outbound], now: datetime, audience: str | None = None,
    payload: dict[str, Any] | None = None, created_by: int | None = None, send_at: datetime | None = None,
) -> Notice:
    """One notice for `ref` (queuing it again adds nothing), one outbox row per person."""
    return await enqueue(
        session, kind=kind, ref=ref, recipients=[recipient_of(p) for p in people], render=render, now=now,
        audience=audience, payload=payload, created_by=created_by, send_at=send_at,
    )


async def cancel_pending(session: AsyncSession, ref_prefix: str, reason: str) -> int:
    """Rows not yet sent of the notices whose ref starts with `ref_prefix` (a moved visit's old
    reminders) are cancelled; a row already being sent goes out."""
    notices = select(Notice.id).where(Notice.ref.like(f"{ref_prefix}%"))
    result = await session.execute(
        update(OutboxRow)
        .where(OutboxRow.notice_id.in_(notices), OutboxRow.status == "pending")
        .values(status="cancelled", last_error=reason)
    )
    return rows_matched(result)


def _broadcast_render(content: Content, text: str) -> Callable[[str], Outbound]:
    def render(lang: str) -> Outbound:
        return Outbound(content.book.say("programme.broadcast_header", lang) + "\n" + text, kind="notice")

    return render


def check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ProgrammeError("programme.empty_text")
    if len(text) > MAX_TEXT:
        raise ProgrammeError("programme.text_too_long", max=MAX_TEXT, length=len(text))
    return text


async def broadcast(
    session: AsyncSession, content: Content, audience: Audience, text: str, *, now: datetime,
    send_at: datetime | None = None, created_by: int | None = None, ref: str | None = None,
) -> tuple[Notice, int]:
    text = check_text(text)
    people = await participants(session, audience)
    if not people:
        raise ProgrammeError("programme.no_recipients", audience=str(audience))
    notice = await enqueue(
        session, kind="broadcast", ref=ref, recipients=[recipient_of(p) for p in people],
        render=_broadcast_render(content, text), now=now, audience=str(audience),
        payload={"text": text}, created_by=created_by, send_at=send_at,
    )
    log.info("broadcast notice %s to %s: %d recipient(s)", notice.id, audience, len(people))
    return notice, len(people)


async def cancel_notice(session: AsyncSession, notice_id: int) -> int:
    notice = await session.get(Notice, notice_id)
    if notice is None:
        raise ProgrammeError("programme.unknown_notice", id=notice_id)
    result = await session.execute(
        update(OutboxRow)
        .where(OutboxRow.notice_id == notice_id, OutboxRow.status == "pending")
        .values(status="cancelled", last_error="cancelled by the secretariat")
    )
    return rows_matched(result)


# --- drafts: a broadcast typed in chat is previewed, then confirmed


async def create_draft(
    session: AsyncSession, audience: Audience, text: str, *, now: datetime, created_by: int,
) -> tuple[NoticeDraft, int]:
    text = check_text(text)
    count = len(await participants(session, audience))
    if not count:
        raise ProgrammeError("programme.no_recipients", audience=str(audience))
    draft = NoticeDraft(created_by=created_by, audience=str(audience), text=text, status="draft", created_at=now)
    session.add(draft)
    await session.flush()
    return draft, count


async def lock_draft(session: AsyncSession, draft_id: int) -> NoticeDraft | None:
    """The draft, locked on PostgreSQL: two presses of "send" at once queue one notice."""
    query = select(NoticeDraft).where(NoticeDraft.id == draft_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return await session.scalar(query)


@dataclass(frozen=True)
class DraftSent:
    """What confirming a draft came to: "sent" (now), "already_sent", "cancelled" or "missing"."""

    state: str
    notice_id: int | None = None
    count: int = 0


async def send_draft(
    session: AsyncSession, content: Content, draft_id: int, *, now: datetime, created_by: int | None,
) -> DraftSent:
    """Queue a previewed draft once: a second confirmation (another press, another browser tab, a
    retried request) finds it sent and queues nothing. Raises ProgrammeError as broadcast does."""
    draft = await lock_draft(session, draft_id)
    if draft is None:
        return DraftSent("missing")
    if draft.status == "sent":
        return DraftSent("already_sent", draft.notice_id)
    if draft.status == "cancelled":
        return DraftSent("cancelled")
    notice, count = await broadcast(
        session, content, parse_audience(draft.audience), draft.text, now=now, created_by=created_by, ref=f"draft:{draft.id}",
    )
    draft.status, draft.notice_id = "sent", notice.id
    return DraftSent("sent", notice.id, count)


async def cancel_draft(session: AsyncSession, draft_id: int) -> DraftSent:
    draft = await lock_draft(session, draft_id)
    if draft is None:
        return DraftSent("missing")
    if draft.status == "sent":
        return DraftSent("already_sent", draft.notice_id)
    draft.status = "cancelled"
    return DraftSent("cancelled")


# --- status


@dataclass
class NoticeStatus:
    notice: Notice
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (recipient, error)
    possible_duplicates: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def notice_status(session: AsyncSession, notice_id: int) -> NoticeStatus:
    notice = await session.get(Notice, notice_id)
    if notice is None:
        raise ProgrammeError("programme.unknown_notice", id=notice_id)
    status = NoticeStatus(notice)
    rows = await session.execute(
        select(OutboxRow.status, func.count()).where(OutboxRow.notice_id == notice_id).group_by(OutboxRow.status)
    )
    for name, count in rows:
        # "sending" is a row on its way: for the secretariat it is still pending.
        status.counts["pending" if name == "sending" else name] += int(count)
    failed = await session.execute(
        select(OutboxRow.platform, OutboxRow.chat_id, Person.display_name, OutboxRow.last_error)
        .outerjoin(Person, Person.id == OutboxRow.person_id)
        .where(OutboxRow.notice_id == notice_id, OutboxRow.status == "failed")
        .order_by(OutboxRow.id)
    )
    for platform, chat_id, display_name, error in failed:
        who = f"{display_name} ({platform}:{chat_id})" if display_name else f"{platform}:{chat_id}"
        status.failures.append((who, error or ""))
    status.possible_duplicates = int(
        await session.scalar(
            select(func.count()).where(
                OutboxRow.notice_id == notice_id, OutboxRow.status == "sent", OutboxRow.last_error == POSSIBLE_DUPLICATE
            )
        ) or 0
    )
    return status


async def recent_notices(session: AsyncSession, limit: int = 20) -> list[Notice]:
    return list(await session.scalars(select(Notice).order_by(Notice.id.desc()).limit(limit)))
