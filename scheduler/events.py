"""Community events (セキュリティセミナー, 懇親会): announce with RSVP buttons, a capacity with a
waiting list, an RSVP deadline, a reminder to those who said yes, the attendee list."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.content.models import EventCatalogue
from bot.engine.messages import Outbound
from bot.engine.parse import verbatim
from bot.store.models import Company, Event, Person, Rsvp
from scheduler.audience import Audience, event_decision, participants
from scheduler.errors import ProgrammeError
from scheduler.localtime import format_cli, require_future
from scheduler.notices import cancel_pending, queue_notice
from scheduler.render import Say, event_notice

log = logging.getLogger(__name__)

Answer = Literal["yes", "no"]
Outcome = Literal["yes", "no", "waitlist", "closed", "gone", "refused"]
TITLE_MAX, PLACE_MAX = 200, 500  # the columns' lengths


@dataclass(frozen=True)
class EventSpec:
    kind: str
    at: datetime  # UTC
    title: str | None = None  # default: the kind's title in Japanese
    place: str | None = None
    capacity: int | None = None
    rsvp_deadline: datetime | None = None
    audience: Audience = Audience("all")
    duration_minutes: int | None = None


def catalogue_of(content: Content) -> EventCatalogue:
    programme = content.response.programme
    if programme is None or programme.events is None:
        raise ProgrammeError("programme.no_events")
    return programme.events


async def add_event(
    session: AsyncSession, content: Content, tz: ZoneInfo, spec: EventSpec, *, now: datetime, notify: bool = True,
) -> tuple[Event, int]:
    """The event, and how many people were invited."""
    kind = catalogue_of(content).kind(spec.kind)
    if kind is None:
        raise ProgrammeError("programme.unknown_event_kind", kind=spec.kind[:30], kinds=", ".join(k.id for k in catalogue_of(content).kinds))
    require_future(spec.at, now, tz)
    if spec.capacity is not None and spec.capacity < 1:
        raise ProgrammeError("programme.bad_capacity")
    if spec.rsvp_deadline is not None and not now < spec.rsvp_deadline <= spec.at:
        raise ProgrammeError("programme.bad_deadline")
    # People's text is kept as typed (「（年末）」 stays full-width); too long is refused, never cut.
    title, place = verbatim(spec.title or ""), verbatim(spec.place or "")
    for text, limit in ((title, TITLE_MAX), (place, PLACE_MAX)):
        if len(text) > limit:
            raise ProgrammeError("programme.text_too_long", max=limit, length=len(text))
    people = await participants(session, spec.audience)
    event = Event(
        kind=kind.id, title=title or kind.title.ja, starts_at=spec.at,
        duration_minutes=spec.duration_minutes or kind.duration_minutes, place=place or None,
        capacity=spec.capacity, rsvp_deadline=spec.rsvp_deadline, audience=str(spec.audience), status="scheduled",
        revision=1, scheduled_at=now, created_at=now, updated_at=now,
    )
    session.add(event)
    await session.flush()
    log.info("event %s added (%s) for %s: %d invited", event.id, kind.id, spec.audience, len(people))
    if notify and people:
        def render(lang: str) -> Outbound:
            say = Say(content, lang, tz)
            return event_notice(
                say, event, say("programme.notice_event_invite"), rsvp=True, taken=0, footer=say("programme.event_community_note"),
            )

        await queue_notice(
            session, kind="event", ref=f"event:{event.id}:r{event.revision}:invite", people=people, render=render,
            now=now, audience=str(spec.audience), payload={"event": event.id},
        )
    return event, len(people)


async def get_event(session: AsyncSession, event_id: int, *, lock: bool = False) -> Event:
    query = select(Event).where(Event.id == event_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        # Capacity is counted under this lock: two last-seat presses at once cannot both get it.
        query = query.with_for_update()
    event = await session.scalar(query)
    if event is None:
        raise ProgrammeError("programme.unknown_event", id=event_id)
    return event


async def cancel_event(
    session: AsyncSession, content: Content, tz: ZoneInfo, event_id: int, *, now: datetime, notify: bool = True,
) -> Event:
    event = await get_event(session, event_id, lock=True)
    if event.status != "scheduled":
        raise ProgrammeError("programme.unknown_event", id=event_id)
    await cancel_pending(session, f"event:{event.id}:r{event.revision}:", "event cancelled")
    event.status = "cancelled"
    event.revision += 1
    event.updated_at = now
    await session.flush()
    if notify:
        people = await rsvp_people(session, event.id, ("yes", "waitlist"))
        taken = await seats_taken(session, event.id)

        def render(lang: str) -> Outbound:
            say = Say(content, lang, tz)
            return event_notice(say, event, say("programme.notice_event_cancelled"), rsvp=False, taken=taken)

        await queue_notice(
            session, kind="event", ref=f"event:{event.id}:r{event.revision}:cancelled", people=people, render=render,
            now=now, audience=f"event:{event.id}", payload={"event": event.id},
        )
    return event


async def counts(session: AsyncSession, event_ids: list[int]) -> dict[int, Counter[str]]:
    found: dict[int, Counter[str]] = {event_id: Counter() for event_id in event_ids}
    if event_ids:
        rows = await session.execute(
            select(Rsvp.event_id, Rsvp.answer, func.count()).where(Rsvp.event_id.in_(event_ids)).group_by(Rsvp.event_id, Rsvp.answer)
        )
        for event_id, answer, count in rows:
            found[event_id][answer] = int(count)
    return found


async def seats_taken(session: AsyncSession, event_id: int) -> int:
    return (await counts(session, [event_id]))[event_id]["yes"]


async def list_events(
    session: AsyncSession, *, since: datetime | None = None, include_cancelled: bool = False,
    for_person: Person | None = None,
) -> list[tuple[Event, Counter[str]]]:
    """The events, with their answers; `for_person`: only those of that person's audience."""
    query = select(Event).order_by(Event.starts_at, Event.id)
    if since is not None:
        query = query.where(Event.starts_at >= since)
    if not include_cancelled:
        query = query.where(Event.status == "scheduled")
    events = list(await session.scalars(query))
    if for_person is not None:
        theirs = {a for a in {e.audience for e in events} if (await event_decision(session, for_person, a)).allowed}
        events = [e for e in events if e.audience in theirs]
    answers = await counts(session, [e.id for e in events])
    return [(event, answers[event.id]) for event in events]


async def rsvp_people(session: AsyncSession, event_id: int, answers: tuple[str, ...]) -> list[Person]:
    return list(
        await session.scalars(
            select(Person).join(Rsvp, Rsvp.person_id == Person.id)
            .where(Rsvp.event_id == event_id, Rsvp.answer.in_(answers))
            .order_by(Rsvp.answered_at, Person.id)
        )
    )


async def attendees(session: AsyncSession, event_id: int) -> list[tuple[Person, str | None, str, datetime]]:
    """(person, company name, answer, when) for everyone who answered: yes first, then the waiting
    list in order, then no."""
    await get_event(session, event_id)
    rows = await session.execute(
        select(Person, Company.name, Rsvp.answer, Rsvp.answered_at)
        .join(Rsvp, Rsvp.person_id == Person.id)
        .outerjoin(Company, Company.id == Person.company_id)
        .where(Rsvp.event_id == event_id)
        .order_by(Rsvp.answered_at, Person.id)
    )
    order = {"yes": 0, "waitlist": 1, "no": 2}
    return sorted(((p, c, a, t) for p, c, a, t in rows), key=lambda row: order.get(row[2], 3))


ATTENDEE_COLUMNS = ["answer", "name", "company", "account", "answered"]


def attendee_cells(rows: list[tuple[Person, str | None, str, datetime]], tz: ZoneInfo) -> list[list[str]]:
    """The rows of `attendees` as the CLI table and both CSV exports (CLI, web desk) show them."""
    return [
        [answer, person.display_name or "", company or "", f"{person.platform}:{person.platform_user_id}", format_cli(at, tz)]
        for person, company, answer, at in rows
    ]


@dataclass(frozen=True)
class RsvpResult:
    outcome: Outcome
    event: Event | None
    position: int | None = None  # on the waiting list


async def rsvp(
    session: AsyncSession, content: Content, tz: ZoneInfo, event_id: int, person: Person, answer: Answer,
    *, now: datetime,
) -> RsvpResult:
    try:
        event = await get_event(session, event_id, lock=True)
    except ProgrammeError:
        return RsvpResult("gone", None)
    if not (await event_decision(session, person, event.audience)).allowed:
        return RsvpResult("refused", None)  # told as "gone": another audience's event is not confirmed
    if event.status != "scheduled" or now >= event.starts_at:
        return RsvpResult("gone", event)
    if event.rsvp_deadline is not None and now > event.rsvp_deadline:
        return RsvpResult("closed", event)
    current = await session.get(Rsvp, (event.id, person.id))
    before = current.answer if current else None
    if answer == "yes":
        if before in ("yes", "waitlist"):
            return RsvpResult(before, event, await _position(session, event.id, person.id) if before == "waitlist" else None)  # type: ignore[arg-type]
        taken = await seats_taken(session, event.id)
        outcome: Outcome = "yes" if event.capacity is None or taken < event.capacity else "waitlist"
    else:
        outcome = "no"
    if current is None:
        session.add(Rsvp(event_id=event.id, person_id=person.id, answer=outcome, answered_at=now))
    elif before != outcome:
        current.answer, current.answered_at = outcome, now
    await session.flush()
    if before == "yes" and outcome == "no":
        await _promote(session, content, tz, event, now)
    position = await _position(session, event.id, person.id) if outcome == "waitlist" else None
    return RsvpResult(outcome, event, position)


async def _position(session: AsyncSession, event_id: int, person_id: int) -> int:
    waiting = await rsvp_people(session, event_id, ("waitlist",))
    return next((n for n, p in enumerate(waiting, 1) if p.id == person_id), len(waiting))


async def _promote(session: AsyncSession, content: Content, tz: ZoneInfo, event: Event, now: datetime) -> None:
    """A seat came free: the first on the waiting list gets it, and is told."""
    waiting = await rsvp_people(session, event.id, ("waitlist",))
    if not waiting:
        return
    first = waiting[0]
    row = await session.get(Rsvp, (event.id, first.id))
    assert row is not None
    row.answer, row.answered_at = "yes", now
    await session.flush()
    taken = await seats_taken(session, event.id)

    def render(lang: str) -> Outbound:
        say = Say(content, lang, tz)
        return event_notice(say, event, say("programme.notice_event_promoted"), rsvp=False, taken=taken)

    await queue_notice(
        session, kind="event", ref=f"event:{event.id}:promoted:{first.id}:{int(now.timestamp())}", people=[first],
        render=render, now=now, audience=f"event:{event.id}", payload={"event": event.id},
    )
    log.info("event %s: person %s promoted from the waiting list", event.id, first.id)


