"""The expert visits: add, move, cancel, list, and people's answers to reminders. Shared by the CLI
(`helpdesk visit …`) and the secretariat's chat commands (`/visit …`).

Every change bumps the visit's revision: the reminders of the old date are cancelled where still
pending, the scheduler plans the new ones (scheduler/plan.py), and the company is told.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.content.models import VisitPlan
from bot.engine.messages import Outbound
from bot.engine.parse import clean_text, word_key
from bot.store.models import Company, ExpertAssignment, Notice, OutboxRow, Person, Visit, VisitReply
from scheduler.audience import company_people
from scheduler.companies import company_named
from scheduler.errors import ProgrammeError
from scheduler.localtime import format_cli, require_future
from scheduler.notices import cancel_pending, queue_notice
from scheduler.render import Say, visit_notice

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VisitSpec:
    company: str
    number: int
    at: datetime  # UTC
    mode: str
    place: str | None = None
    expert: str | None = None


def plan_of(content: Content) -> VisitPlan:
    programme = content.response.programme
    if programme is None or programme.visits is None:
        raise ProgrammeError("programme.no_plan")
    return programme.visits


def mode_of(plan: VisitPlan, text: str) -> str:
    """onsite / online, or the mode's label in either language (as content/programme.yaml names it)."""
    key = word_key(text)
    for mode in plan.modes:
        if key in (mode.id, word_key(mode.label.ja), word_key(mode.label.en)):
            return mode.id
    raise ProgrammeError("programme.bad_mode", mode=clean_text(text)[:30], modes=", ".join(m.id for m in plan.modes))


def check_number(plan: VisitPlan, number: int) -> int:
    if plan.visit(number) is None:
        raise ProgrammeError("programme.bad_visit_number", max=len(plan.plan))
    return number


def check_place(mode: str, place: str | None) -> str | None:
    place = clean_text(place) if place else None
    if place and mode == "online" and not place.startswith(("https://", "http://")):
        raise ProgrammeError("programme.bad_meeting_url", place=place[:60])
    if place and len(place) > 500:
        raise ProgrammeError("programme.text_too_long", max=500, length=len(place))
    return place or None


async def find_expert(session: AsyncSession, name: str, company_id: int) -> Person | None:
    """The registered expert assigned to the company whose display name or account is `name`: they
    get the visit's notices and buttons. Nobody else is matched, however the name reads (an
    expert of another company with the same name is someone else); an expert not in the bot yet,
    or not assigned to the company, is kept as text only. Two assigned experts of one name are
    refused: the secretariat names the account."""
    wanted = word_key(name)
    assigned = list(
        await session.scalars(
            select(Person).join(ExpertAssignment, ExpertAssignment.person_id == Person.id)
            .where(ExpertAssignment.company_id == company_id, Person.role == "expert").order_by(Person.id)
        )
    )
    by_account = [p for p in assigned if word_key(p.platform_user_id) == wanted]
    found = by_account or [p for p in assigned if p.display_name and word_key(p.display_name) == wanted]
    if len(found) > 1:
        company = await session.get(Company, company_id)
        raise ProgrammeError(
            "programme.expert_ambiguous", company=company.name if company else "", name=name[:60],
            accounts=", ".join(f"{p.platform}:{p.platform_user_id}" for p in found),
        )
    return found[0] if found else None


def _shown(expert: Person | None, typed: str | None) -> str | None:
    """The name on the invitation: a registered expert's own (they may have been named by account)."""
    return (expert.display_name if expert is not None else None) or typed


async def visit_of(session: AsyncSession, company: Company, number: int) -> Visit | None:
    return await session.scalar(select(Visit).where(Visit.company_id == company.id, Visit.number == number))


async def add_visit(
    session: AsyncSession, content: Content, tz: ZoneInfo, spec: VisitSpec, *, now: datetime, notify: bool = True,
) -> Visit:
    plan = plan_of(content)
    company = await company_named(session, spec.company)
    number = check_number(plan, spec.number)
    mode = mode_of(plan, spec.mode)
    place = check_place(mode, spec.place)
    require_future(spec.at, now, tz)
    visit = await visit_of(session, company, number)
    if visit is not None and visit.status == "scheduled":
        raise ProgrammeError("programme.visit_exists", company=company.name, n=number, when=format_cli(visit.starts_at, tz))
    expert_name = clean_text(spec.expert) if spec.expert else None
    expert = await find_expert(session, expert_name, company.id) if expert_name else None
    expert_name = _shown(expert, expert_name)
    if visit is None:
        visit = Visit(company_id=company.id, number=number, revision=0, created_at=now)
        session.add(visit)
    else:  # a cancelled visit booked again keeps its id; its old reminders are long cancelled
        await cancel_pending(session, f"visit:{visit.id}:", "visit booked again")
    visit.starts_at = spec.at
    visit.duration_minutes = plan.duration_minutes
    visit.mode, visit.place = mode, place
    visit.expert_name, visit.expert_id = expert_name, expert.id if expert else None
    visit.status = "scheduled"
    visit.revision += 1
    visit.scheduled_at = visit.updated_at = now
    await session.flush()
    log.info("visit %s scheduled: company %s no %s at %s", visit.id, company.id, number, spec.at.isoformat())
    if notify:
        await _tell(session, content, tz, visit, company, "programme.notice_visit_scheduled", now)
    return visit


async def scheduled_visit(session: AsyncSession, plan: VisitPlan, company_name: str, number: int) -> tuple[Company, Visit]:
    """The company's visit `number`, which must still be scheduled (to move or cancel it)."""
    company = await company_named(session, company_name)
    visit = await visit_of(session, company, check_number(plan, number))
    if visit is None or visit.status != "scheduled":
        raise ProgrammeError("programme.no_visit", company=company.name, n=number)
    return company, visit


async def move_visit(
    session: AsyncSession, content: Content, tz: ZoneInfo, company_name: str, number: int, *, now: datetime,
    at: datetime | None = None, mode: str | None = None, place: str | None = None, expert: str | None = None,
    notify: bool = True, revision: int | None = None,
) -> Visit:
    """A new date (or mode, place, expert): the old reminders go, new ones are planned. With the
    `revision` the mover saw (the web desk's form), a visit changed since is refused: two clerks
    moving it at once, the second is told instead of silently overwriting the first."""
    plan = plan_of(content)
    company, visit = await scheduled_visit(session, plan, company_name, number)
    if revision is not None:
        # Lock the row (PostgreSQL; SQLite writes one at a time anyway) so the check and the
        # change are one step: the second of two movers waits, then sees the new revision.
        await session.refresh(visit, with_for_update=True)
        if visit.revision != revision:
            raise ProgrammeError("programme.visit_stale", company=company.name, n=number, when=format_cli(visit.starts_at, tz))
    if at is None and mode is None and place is None and expert is None:
        raise ProgrammeError("programme.nothing_to_change")
    old_start = visit.starts_at
    new_mode = mode_of(plan, mode) if mode is not None else visit.mode
    visit.place = check_place(new_mode, place) if place is not None else check_place(new_mode, visit.place)
    visit.mode = new_mode
    if expert is not None:
        typed = clean_text(expert) or None
        found = await find_expert(session, typed, company.id) if typed else None
        visit.expert_name, visit.expert_id = _shown(found, typed), found.id if found else None
    if at is not None:
        visit.starts_at = require_future(at, now, tz)
    await cancel_pending(session, f"visit:{visit.id}:r{visit.revision}:", "visit moved")
    visit.revision += 1
    visit.scheduled_at = visit.updated_at = now
    await session.flush()
    log.info("visit %s moved (revision %s)", visit.id, visit.revision)
    if notify:
        await _tell(session, content, tz, visit, company, "programme.notice_visit_moved", now, old_start=old_start)
    return visit


async def cancel_visit(
    session: AsyncSession, content: Content, tz: ZoneInfo, company_name: str, number: int, *, now: datetime,
    notify: bool = True,
) -> Visit:
    company, visit = await scheduled_visit(session, plan_of(content), company_name, number)
    await cancel_pending(session, f"visit:{visit.id}:r{visit.revision}:", "visit cancelled")
    visit.status = "cancelled"
    visit.revision += 1
    visit.updated_at = now
    await session.flush()
    log.info("visit %s cancelled", visit.id)
    if notify:
        await _tell(session, content, tz, visit, company, "programme.notice_visit_cancelled", now, prepare=False)
    return visit


async def _tell(
    session: AsyncSession, content: Content, tz: ZoneInfo, visit: Visit, company: Company, headline: str,
    now: datetime, *, old_start: datetime | None = None, prepare: bool = True,
) -> None:
    """Tell the company (and the visit's expert) what changed, each about what they were told.

    The pending rows of the visit's earlier notices are withdrawn by the caller, so a person may
    not have heard of the visit at all: a move is then its announcement ("scheduled"), a cancel
    is not sent to them, and "moved (変更前: …)" names the date their last notice named."""
    people = await company_people(session, company.id, [visit.expert_id])
    kind = headline.rsplit("_", 1)[-1]  # scheduled | moved | cancelled
    told = await told_dates(session, visit.id) if kind != "scheduled" else {}
    groups: dict[tuple[str, datetime | None], list[Person]] = {}
    for person in people:
        if kind == "scheduled":
            groups.setdefault(("scheduled", None), []).append(person)
        elif person.id not in told:
            if kind == "moved":
                groups.setdefault(("scheduled", None), []).append(person)
        elif kind == "moved":
            groups.setdefault(("moved", told[person.id] or old_start), []).append(person)
        else:
            groups.setdefault((kind, None), []).append(person)
    for (said, old), group in groups.items():
        ref = f"visit:{visit.id}:r{visit.revision}:{said}"
        if said == "moved" and old is not None and old != old_start:
            ref += f":{int(old.timestamp())}"  # told a date other than the last: a notice of its own
        await _queue(session, content, tz, visit, company, said, group, ref, now, old=old, prepare=prepare)


async def _queue(
    session: AsyncSession, content: Content, tz: ZoneInfo, visit: Visit, company: Company, kind: str,
    people: list[Person], ref: str, now: datetime, *, old: datetime | None, prepare: bool,
) -> None:
    def render(lang: str) -> Outbound:
        say = Say(content, lang, tz)
        params = {"old": say.when(old)} if kind == "moved" and old is not None else {}
        return visit_notice(say, visit, company.name, say(f"programme.notice_visit_{kind}", **params), prepare=prepare)

    await queue_notice(
        session, kind=f"visit_{kind}", ref=ref, people=people, render=render, now=now,
        audience=f"company:{company.name}",
        payload={"visit": visit.id, "revision": visit.revision, "at": visit.starts_at.isoformat()},
    )


TOLD = ("sent", "sending")  # a row on its way may have arrived: count it as told


async def told_dates(session: AsyncSession, visit_id: int) -> dict[int, datetime | None]:
    """Person id -> the date named by the last notice of the visit that reached them (None: a
    notice queued before notices carried their date). Someone whose last news was "cancelled",
    or who got nothing, is not in it."""
    rows = await session.execute(
        select(OutboxRow.person_id, Notice.kind, Notice.payload)
        .join(Notice, Notice.id == OutboxRow.notice_id)
        .where(Notice.ref.startswith(f"visit:{visit_id}:"), OutboxRow.status.in_(TOLD), OutboxRow.person_id.is_not(None))
        .order_by(Notice.id)
    )
    told: dict[int, datetime | None] = {}
    for person_id, kind, payload in rows:
        if kind == "visit_cancelled":
            told.pop(person_id, None)
        elif kind in ("visit_scheduled", "visit_moved", "reminder"):
            at = (payload or {}).get("at")
            told[person_id] = datetime.fromisoformat(at) if isinstance(at, str) else None
    return told


# --- reading


@dataclass(frozen=True)
class VisitRow:
    visit: Visit
    company: Company
    replies: Counter[str]  # answers to the current revision's reminders: ack, reschedule


async def list_visits(
    session: AsyncSession, *, company_id: int | None = None, company_ids: list[int] | None = None,
    since: datetime | None = None, until: datetime | None = None, include_cancelled: bool = False, limit: int | None = None,
) -> list[VisitRow]:
    query = select(Visit, Company).join(Company, Company.id == Visit.company_id)
    if company_id is not None:
        query = query.where(Visit.company_id == company_id)
    if company_ids is not None:
        query = query.where(Visit.company_id.in_(company_ids))
    if since is not None:
        query = query.where(Visit.starts_at >= since)
    if until is not None:
        query = query.where(Visit.starts_at < until)
    if not include_cancelled:
        query = query.where(Visit.status == "scheduled")
    query = query.order_by(Visit.starts_at, Company.name, Visit.number)
    if limit is not None:
        query = query.limit(limit)
    found = [(visit, company) for visit, company in await session.execute(query)]
    replies: dict[int, Counter[str]] = {visit.id: Counter() for visit, _ in found}
    if found:
        answers = await session.execute(
            select(VisitReply.visit_id, VisitReply.revision, VisitReply.answer).where(VisitReply.visit_id.in_(list(replies)))
        )
        revisions = {visit.id: visit.revision for visit, _ in found}
        for visit_id, revision, answer in answers:
            if revision == revisions[visit_id]:
                replies[visit_id][answer] += 1
    return [VisitRow(visit, company, replies[visit.id]) for visit, company in found]


async def record_reply(session: AsyncSession, visit: Visit, person: Person, answer: str, now: datetime) -> bool:
    """True when this is news (a first answer, or a changed one) for the visit's current date."""
    reply = await session.get(VisitReply, (visit.id, person.id))
    if reply is not None and reply.revision == visit.revision and reply.answer == answer:
        return False
    if reply is None:
        session.add(VisitReply(visit_id=visit.id, person_id=person.id, revision=visit.revision, answer=answer, at=now))
    else:
        reply.revision, reply.answer, reply.at = visit.revision, answer, now
    await session.flush()
    return True
