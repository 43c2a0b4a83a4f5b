"""The word to each owner of improvement items not done (改善アクション) before the company's next
visit: how many of theirs are open, and their numbers (content/programme.yaml `reminders.actions`
sets how many days before and at what time).

Queued once per visit, revision and owner: the ref "visit:<id>:r<revision>:actions:<person>" sits
among the visit's notices, so moving or cancelling the visit withdraws one not yet sent (and a
purge of the company removes it), and the moved visit gets its own. Due from that day and time
until the visit begins: a scheduler that was down at the time still says it before the visit. The
sweep runs with the reminders' sync (scheduler/service.py)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import Content
from bot.content.models import ActionsReminder
from bot.engine.messages import Outbound
from bot.store.models import Company, ImprovementItem, Notice, Person, Visit
from scheduler.localtime import format_local
from scheduler.notices import queue_notice

log = logging.getLogger(__name__)


def due_at(config: ActionsReminder, visit_start: datetime, tz: ZoneInfo) -> datetime:
    """When the reminder of a visit starting at `visit_start` is due (UTC)."""
    hour, minute = (int(part) for part in config.at.split(":"))
    day = visit_start.astimezone(tz).date() - timedelta(days=config.days_before)
    return datetime.combine(day, time(hour, minute), tz).astimezone(visit_start.tzinfo)


def action_ref(visit: Visit, person_id: int) -> str:
    return f"visit:{visit.id}:r{visit.revision}:actions:{person_id}"


async def remind_owners(
    sessions: async_sessionmaker[AsyncSession], content: Content, tz: ZoneInfo, now: datetime,
) -> int:
    """Queue the owners' reminders now due; returns how many were queued."""
    programme = content.response.programme
    config = programme.reminders.actions if programme is not None else None
    if config is None:
        return 0
    queued = 0
    async with sessions.begin() as session:
        for visit in await _next_visits(session, now):
            if not due_at(config, visit.starts_at, tz) <= now:
                continue
            owned: dict[int, list[int]] = defaultdict(list)
            for item in await session.scalars(
                select(ImprovementItem).where(
                    ImprovementItem.company_id == visit.company_id, ImprovementItem.status != "done",
                ).order_by(ImprovementItem.id)
            ):
                if item.owner_id is not None:  # an item nobody owns yet has nobody to remind
                    owned[item.owner_id].append(item.id)
            company = await session.get(Company, visit.company_id)
            for owner_id, items in owned.items():
                ref = action_ref(visit, owner_id)
                owner = await session.get(Person, owner_id)
                if company is None or owner is None or await session.scalar(select(exists().where(Notice.ref == ref))):
                    continue
                await _queue(session, content, tz, company, visit, owner, items, ref, now)
                queued += 1
    if queued:
        log.info("improvement item reminders queued: %d", queued)
    return queued


async def _next_visits(session: AsyncSession, now: datetime) -> list[Visit]:
    """Each company's first scheduled visit still ahead."""
    found: dict[int, Visit] = {}
    query = select(Visit).where(Visit.status == "scheduled", Visit.starts_at > now).order_by(Visit.starts_at)
    for visit in await session.scalars(query):
        found.setdefault(visit.company_id, visit)
    return list(found.values())


async def _queue(
    session: AsyncSession, content: Content, tz: ZoneInfo, company: Company, visit: Visit, owner: Person,
    items: list[int], ref: str, now: datetime,
) -> None:
    def render(lang: str) -> Outbound:
        text = content.book.say(
            "actions.notice", lang, company=company.name, n=visit.number,
            at=format_local(visit.starts_at, tz, content.book, lang), count=len(items),
            items=", ".join(f"#{item}" for item in items),
        )
        return Outbound(text, kind="notice")

    await queue_notice(
        session, kind="actions_reminder", ref=ref, people=[owner], render=render, now=now,
        audience=f"company:{company.name}", payload={"company": company.id, "visit": visit.id, "items": items},
    )
