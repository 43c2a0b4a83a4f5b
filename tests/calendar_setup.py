"""Set-up shared by the calendar tests (visits, events, notices, scheduler): companies with people,
a secretariat account, and reading the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.engine.messages import Outbound, outbound_from_json
from bot.runtime.core import Runtime
from bot.store import repo
from bot.store.models import Company, Notice, OutboxRow, Person

JST = ZoneInfo("Asia/Tokyo")


def jst(text: str) -> datetime:
    """'2026-12-03 14:00' in Japan time, as the UTC datetime the database keeps."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=JST).astimezone(ZoneInfo("UTC"))


async def person(runtime: Runtime, user: str, *, role: str | None = None, company: str | None = None,
                 platform: str = "console", language: str = "ja") -> Person:
    async with runtime.sessions.begin() as session:
        found = await repo.get_or_create_person(session, platform, user, user, language, runtime.clock())
        if company is not None:
            owner = await repo.company_by_name(session, company)
            assert owner is not None, company
            found.company_id = owner.id
        found.role = role
        return found


async def company(runtime: Runtime, name: str, course: str = "csirt", *, members: tuple[str, ...] = (),
                  lead: str | None = None) -> Company:
    async with runtime.sessions.begin() as session:
        created = await repo.company_by_name(session, name) or await repo.create_company(session, name, course, runtime.clock())
    if lead is not None:
        await person(runtime, lead, role="lead", company=name)
    for member in members:
        await person(runtime, member, role="member", company=name)
    return created


@dataclass(frozen=True)
class Queued:
    ref: str | None
    kind: str
    chat_id: str
    status: str
    message: Outbound
    not_before: datetime
    last_error: str | None


async def outbox(runtime: Runtime, ref_prefix: str = "") -> list[Queued]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(Notice.ref, Notice.kind, OutboxRow).join(Notice, Notice.id == OutboxRow.notice_id).order_by(OutboxRow.id)
        )
        return [
            Queued(ref, kind, row.chat_id, row.status, outbound_from_json(row.payload), row.not_before, row.last_error)
            for ref, kind, row in rows
            if (ref or "").startswith(ref_prefix)
        ]


async def notices(runtime: Runtime, ref_prefix: str = "") -> list[Notice]:
    async with runtime.sessions() as session:
        found = await session.scalars(select(Notice).order_by(Notice.id))
        return [n for n in found if (n.ref or "").startswith(ref_prefix)]
