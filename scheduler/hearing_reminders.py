"""The weekly word to a company's lead while its hearing sheet is not submitted: how many questions
are open and 分からない, and how to go on or submit (content/programme.yaml
`reminders.hearing_weekly` sets the day and time).

Queued once per company and ISO week (the notice's ref names both), on the day it is due and after
its time: a scheduler that was down that day does not send it late on another day. None within the
quiet days before visit 1, when the hearing nudge goes out, and none once visit 1 has begun. The
sweep runs with the reminders' sync (scheduler/service.py)."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import Content
from bot.content.models import WEEKDAYS, HearingWeekly
from bot.engine.messages import Outbound
from bot.hearing.sheet import CompanySheet, load
from bot.store import repo
from bot.store.models import Company, Notice, Person, Visit
from scheduler.notices import queue_notice

log = logging.getLogger(__name__)


def weekly_ref(company: Company, now_local: datetime) -> str:
    year, week, _ = now_local.isocalendar()
    return f"sheet:{company.id}:weekly:{year}-W{week:02d}"


def due_now(config: HearingWeekly, now_local: datetime) -> bool:
    """Today is the configured weekday and its time has come."""
    hour, minute = (int(part) for part in config.at.split(":"))
    return WEEKDAYS[now_local.weekday()] == config.weekday and now_local.time() >= time(hour, minute)


async def remind_weekly(
    sessions: async_sessionmaker[AsyncSession], content: Content, tz: ZoneInfo, now: datetime,
) -> int:
    """Queue the weekly reminders now due; returns how many were queued."""
    programme = content.response.programme
    config = programme.reminders.hearing_weekly if programme is not None else None
    local = now.astimezone(tz)
    if config is None or not due_now(config, local):
        return 0
    queued = 0
    async with sessions.begin() as session:
        for company in await repo.list_companies(session):
            ref = weekly_ref(company, local)
            if await session.scalar(select(exists().where(Notice.ref == ref))):
                continue
            view = await load(session, content, company)
            if view is None or view.submitted or not await _before_visit_1(session, company, config, now):
                continue
            if await _queue(session, content, company, view, ref, now):
                queued += 1
    if queued:
        log.info("weekly hearing reminders queued: %d", queued)
    return queued


async def _before_visit_1(session: AsyncSession, company: Company, config: HearingWeekly, now: datetime) -> bool:
    """Visit 1 is not scheduled yet, or is further away than the quiet days."""
    first = await session.scalar(
        select(Visit.starts_at).where(Visit.company_id == company.id, Visit.number == 1, Visit.status == "scheduled")
    )
    return first is None or first > now + timedelta(days=config.quiet_days_before_visit)


async def _queue(session: AsyncSession, content: Content, company: Company, view: CompanySheet, ref: str, now: datetime) -> bool:
    leads = list(await session.scalars(
        select(Person).where(Person.company_id == company.id, Person.role == "lead").order_by(Person.id)
    ))
    if not leads:
        return False
    counts = view.counts

    def render(lang: str) -> Outbound:
        text = content.book.say(
            "sheet.notice_weekly", lang, company=company.name, given=counts.given, total=counts.total,
            open=counts.open, unknown=counts.unknown,
        )
        return Outbound(text, kind="notice")

    await queue_notice(
        session, kind="hearing_weekly", ref=ref, people=leads, render=render, now=now,
        audience=f"company:{company.name}", payload={"company": company.id, "open": counts.open},
    )
    return True
