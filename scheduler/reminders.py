"""Sending reminders: `fire` one (what an APScheduler job does), `sweep` them all (on start and
every sync: whatever is due and not yet queued is queued, whatever was missed is dropped and logged).

Both end in a notice whose ref is the reminder's id (scheduler/plan.py), so a reminder fired by its
job and found again by a sweep, or fired by two processes, is queued once: the notice ref is unique.
A dropped reminder is recorded the same way (a notice without recipients, its reason in the
payload), so it is logged once and `helpdesk notice status` can show it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import Content
from bot.hearing.sheet import load as load_sheet
from bot.content.models import Programme
from bot.engine.messages import Outbound
from bot.store.models import Company, Event, Notice, Visit
from bot.store.outbox import enqueue
from scheduler.audience import company_people
from scheduler.events import rsvp_people
from scheduler.notices import queue_notice
from scheduler.plan import Reminder, event_reminders, parse_ref, reminder_for, visit_reminders
from scheduler.render import Say, event_notice, visit_notice

log = logging.getLogger(__name__)

Fired = Literal["sent", "dropped", "skipped", "done", "stale", "early"]
# Rows older than this are not looked at by a sweep: their reminders were settled long ago.
LOOKBACK = timedelta(days=30)
# APScheduler wakes a job at its time by the system clock; a clock read a moment earlier is no reason to skip.
EARLY_TOLERANCE = timedelta(seconds=2)


def _programme(content: Content) -> Programme:
    programme = content.response.programme
    if programme is None:
        raise LookupError("content/programme.yaml is missing")
    return programme


async def fire(
    sessions: async_sessionmaker[AsyncSession], content: Content, tz: ZoneInfo, ref: str, now: datetime,
) -> Fired:
    parsed = parse_ref(ref)
    if parsed is None:
        return "stale"
    kind, target_id, revision, key = parsed
    async with sessions.begin() as session:
        row: Visit | Event | None = await session.get(Visit if kind == "visit" else Event, target_id)
        reminder = reminder_for(row, revision, key, _programme(content), tz) if row is not None else None
        if row is None or reminder is None:
            return "stale"  # moved or cancelled since the job was planned
        if await session.scalar(select(exists().where(Notice.ref == ref))):
            return "done"
        state = reminder.state(now + EARLY_TOLERANCE)
        if state == "future":
            return "early"
        if state == "not_applicable":
            return "stale"
        if state == "missed":
            await _record(session, reminder, now, dropped=f"the {reminder.kind} started before it could be sent")
            log.warning("reminder %s dropped: due %s, the %s started at %s", ref, reminder.due.isoformat(),
                        "event" if kind == "event" else "visit", reminder.starts_at.isoformat())
            return "dropped"
        if isinstance(row, Visit):
            return await _visit(session, content, tz, row, reminder, now)
        return await _event(session, content, tz, row, reminder, now)


async def _record(session: AsyncSession, reminder: Reminder, now: datetime, **why: str) -> None:
    await enqueue(
        session, kind="reminder", ref=reminder.ref, recipients=[], render=lambda lang: Outbound(""), now=now,
        payload={"due": reminder.due.isoformat(), **why}, send_at=reminder.due,
    )


async def _visit(
    session: AsyncSession, content: Content, tz: ZoneInfo, visit: Visit, reminder: Reminder, now: datetime,
) -> Fired:
    company = await session.get(Company, visit.company_id)
    assert company is not None  # visits are deleted with their company
    if reminder.kind == "nudge":
        if await hearing_finished(session, content, company.id):
            await _record(session, reminder, now, skipped="the hearing sheet is finished")
            return "skipped"
        people = await company_people(session, company.id)

        def nudge(lang: str) -> Outbound:
            say = Say(content, lang, tz)
            return Outbound(say("programme.notice_hearing_nudge", when=say.when(visit.starts_at)), kind="notice")

        await queue_notice(session, kind="reminder", ref=reminder.ref, people=people, render=nudge, now=now,
                           audience=f"company:{company.name}", payload={"visit": visit.id, "nudge": True, "at": visit.starts_at.isoformat()})
        log.info("hearing nudge %s queued for %d people", reminder.ref, len(people))
        return "sent"
    people = await company_people(session, company.id, [visit.expert_id])

    def render(lang: str) -> Outbound:
        say = Say(content, lang, tz)
        return visit_notice(say, visit, company.name, say("programme.notice_visit_reminder"), buttons=True)

    await queue_notice(session, kind="reminder", ref=reminder.ref, people=people, render=render, now=now,
                       audience=f"company:{company.name}",
                       payload={"visit": visit.id, "offset": reminder.key, "at": visit.starts_at.isoformat()})
    log.info("visit reminder %s queued for %d people", reminder.ref, len(people))
    return "sent"


async def _event(
    session: AsyncSession, content: Content, tz: ZoneInfo, event: Event, reminder: Reminder, now: datetime,
) -> Fired:
    people = await rsvp_people(session, event.id, ("yes",))

    def render(lang: str) -> Outbound:
        say = Say(content, lang, tz)
        return event_notice(say, event, say("programme.notice_event_reminder"), rsvp=False, taken=len(people))

    await queue_notice(session, kind="reminder", ref=reminder.ref, people=people, render=render, now=now,
                       audience=f"event:{event.id}", payload={"event": event.id, "offset": reminder.key})
    log.info("event reminder %s queued for %d people", reminder.ref, len(people))
    return "sent"


async def hearing_finished(session: AsyncSession, content: Content, company_id: int) -> bool:
    """The company's shared sheet is submitted, or has an answer to every question."""
    company = await session.get(Company, company_id)
    view = await load_sheet(session, content, company) if company is not None else None
    return view is not None and (view.submitted or (view.counts.given > 0 and view.counts.open == 0))


async def planned(
    sessions: async_sessionmaker[AsyncSession], content: Content, tz: ZoneInfo, now: datetime,
) -> list[Reminder]:
    """Every reminder of the visits and events not long past, in any state."""
    programme = _programme(content)
    since = now - LOOKBACK
    async with sessions() as session:
        visits = await session.scalars(select(Visit).where(Visit.status == "scheduled", Visit.starts_at >= since))
        events = await session.scalars(select(Event).where(Event.status == "scheduled", Event.starts_at >= since))
        found = [r for v in visits for r in visit_reminders(v, programme, tz)]
        found += [r for e in events for r in event_reminders(e, programme, tz)]
    return found


@dataclass
class Sweep:
    future: list[Reminder] = field(default_factory=list)
    fired: dict[str, Fired] = field(default_factory=dict)


async def sweep(
    sessions: async_sessionmaker[AsyncSession], content: Content, tz: ZoneInfo, now: datetime,
) -> Sweep:
    """Queue what is due, drop what was missed, and return what is still to come (for the jobs)."""
    result = Sweep()
    reminders = await planned(sessions, content, tz, now)
    settle = [r for r in reminders if r.state(now) in ("due", "missed")]
    done: set[str] = set()
    if settle:
        async with sessions() as session:
            done = set(await session.scalars(select(Notice.ref).where(Notice.ref.in_([r.ref for r in settle]))))
    settle = [r for r in settle if r.ref not in done]
    # After a long stop several reminders of one visit can be due at once: only the latest is worth
    # sending ("tomorrow" makes "in three days" pointless).
    latest: dict[tuple[str, int, int], Reminder] = {}
    for reminder in settle:
        key = (reminder.kind, reminder.target_id, reminder.revision)
        if reminder.state(now) == "due" and (key not in latest or reminder.due > latest[key].due):
            latest[key] = reminder
    for reminder in settle:
        key = (reminder.kind, reminder.target_id, reminder.revision)
        if reminder.state(now) == "due" and latest[key] is not reminder:
            async with sessions.begin() as session:
                await _record(session, reminder, now, dropped=f"superseded by {latest[key].ref}")
            log.info("reminder %s dropped: superseded by %s", reminder.ref, latest[key].ref)
            result.fired[reminder.ref] = "dropped"
        else:
            result.fired[reminder.ref] = await fire(sessions, content, tz, reminder.ref, now)
    result.future = sorted((r for r in reminders if r.state(now) == "future"), key=lambda r: r.due)
    return result
