"""The App Home tab: who the person is registered as, how far their hearing sheet is, their
company's open incidents and its next expert visit.

The view is a list of parts, each an async function of the person's record. What a part shows of a
company is what bot.policy lets the person read (members and leads: their company's; experts: the
companies assigned to them); the home only reads, so it asks `decide` and writes no audit line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.engine.render import Speaker
from bot.runtime.core import Runtime
from bot.hearing.menus import status_text
from bot.hearing.sheet import load
from bot.incidents import service as incidents_service
from bot.incidents.render import jst, level_label, status_label
from bot.policy import Action, Actor, Resource, actor_for, decide
from bot.platforms.slack.blocks import (
    MENU_ITEM,
    Block,
    Say,
    button,
    context,
    from_engine,
    header,
    section,
    sections,
    speaker,
)
from bot.platforms.slack.inbound import PLATFORM
from bot.platforms.slack.limits import BLOCKS_PER_VIEW
from bot.store import repo
from bot.store.models import Person
from scheduler.render import Say as ProgrammeSay
from scheduler.render import visit_lines
from scheduler.visits import list_visits

HOME_INCIDENTS = 10  # incidents listed; /helpdesk incident status lists them all
HOME_VISITS = 5  # next visits listed, one per company (an expert's companies); /helpdesk visits lists them all


@dataclass(frozen=True)
class Home:
    session: AsyncSession
    person: Person | None  # None: someone who never wrote to the bot
    actor: Actor  # the person as bot.policy sees them
    content: Content
    say: Say
    speaker: Speaker
    now: datetime
    tz: ZoneInfo

    def companies(self, action: Action) -> list[int]:
        """The companies whose data the person may read this way: their own, or their assigned ones."""
        candidates = {self.actor.company_id, *self.actor.expert_companies} - {None}
        return sorted(c for c in candidates if c is not None and decide(self.actor, action, Resource(company_id=c)).allowed)


HomePart = Callable[[Home], Awaitable[list[Block]]]


async def registration(home: Home) -> list[Block]:
    person = home.person
    if person is not None and person.role == "secretariat":
        return [section(from_engine(home.say("start.welcome_secretariat")))]
    if person is not None and person.role == "expert":
        return [section(from_engine(home.say("start.welcome_expert", count=len(home.actor.expert_companies))))]
    company = await repo.company_by_id(home.session, person.company_id) if person else None
    if person is None or company is None:
        return [section(from_engine(home.say("start.welcome_unregistered")))]
    return [section(from_engine(home.say(
        "slack.home.registered", company=company.name,
        course=home.say(f"course.{company.course}"), role=home.say(f"role.{person.role}"),
    )))]


async def hearing(home: Home) -> list[Block]:
    person = home.person
    if person is None or person.company_id is None:
        return []
    company = await repo.company_by_id(home.session, person.company_id)
    view = await load(home.session, home.content, company) if company is not None else None
    if view is None:
        return []
    blocks: list[Block] = [{"type": "divider"}, section(from_engine(status_text(home.say, view)))]
    if not view.submitted:
        open_sheet = button(f"{MENU_ITEM}hearing", home.say("slack.home.open_hearing"), "/hearing", primary=True)
        blocks.append({"type": "actions", "block_id": "home_hearing", "elements": [open_sheet]})
    return blocks


async def open_incidents(home: Home) -> list[Block]:
    """The open incidents of the person's company: number, severity, status, when reported."""
    companies = home.companies(Action.READ_INCIDENT)
    if not companies or home.content.response.incident is None:
        return []
    found = [i for c in companies for i in await incidents_service.of_company(home.session, c)]
    found.sort(key=lambda incident: incident.id, reverse=True)  # the latest first, whichever company
    names = await _names(home, companies) if len(companies) > 1 else {}
    lines = [home.say("slack.home.incidents_title")]
    for incident in found[:HOME_INCIDENTS]:
        line = home.say(
            "slack.home.incident_line", number=incident.number,
            severity=level_label(home.content, incident.severity, home.speaker),
            status=status_label(home.content, incident.status, home.speaker), at=jst(incident.created_at, home.tz),
        )
        lines.append(f"{names[incident.company_id]}: {line}" if incident.company_id in names else line)
    if len(found) > HOME_INCIDENTS:
        lines.append(home.say("slack.home.incidents_more", n=len(found) - HOME_INCIDENTS))
    if not found:
        lines.append(home.say("slack.home.incidents_none"))
    blocks: list[Block] = [{"type": "divider"}, *sections(from_engine("\n".join(lines)))]
    if found:
        status = button(f"{MENU_ITEM}incident_status", home.say("slack.home.incidents_list"), "/incident status")
        blocks.append({"type": "actions", "block_id": "home_incidents", "elements": [status]})
    return blocks


async def next_visit(home: Home) -> list[Block]:
    """The company's next expert visit (scheduler/visits.py), as the visit reminders show it."""
    companies = home.companies(Action.READ_VISITS)
    programme = home.content.response.programme
    if not companies or programme is None or programme.visits is None:
        return []
    say = ProgrammeSay(home.content, home.speaker.lang, home.tz)
    names = await _names(home, companies) if len(companies) > 1 else {}
    lines = [home.say("slack.home.next_visit")]
    shown: set[int] = set()
    for row in await list_visits(home.session, company_ids=companies, since=home.now):  # soonest first
        if row.company.id in shown or len(shown) == HOME_VISITS:
            continue
        shown.add(row.company.id)
        lines.extend(visit_lines(say, row.visit, company=names.get(row.company.id), prepare=False))
    if not shown:
        lines.append(home.say("slack.home.next_visit_none"))
    return [{"type": "divider"}, *sections(from_engine("\n".join(lines)))]


async def _names(home: Home, company_ids: list[int]) -> dict[int, str]:
    companies = [await repo.company_by_id(home.session, c) for c in company_ids]
    return {c.id: c.name for c in companies if c is not None}


PARTS: tuple[HomePart, ...] = (registration, hearing, open_incidents, next_visit)


async def home_view(runtime: Runtime, user_id: str, lang: str) -> Block:
    say = speaker(runtime.content.book, lang)
    now = runtime.clock()
    sp = Speaker(lang, runtime.content.book, runtime.content.words, now.astimezone(runtime.tz).date())
    blocks = [header(say("slack.home.title"))]
    async with runtime.sessions() as session:
        person = await repo.person_by_platform(session, PLATFORM, user_id)
        actor = await actor_for(session, person, f"{PLATFORM}:{user_id}")
        home = Home(session, person, actor, runtime.content, say, sp, now, runtime.tz)
        for part in PARTS:
            blocks.extend(await part(home))
    blocks.append(context(from_engine(say("slack.home.commands"))))
    return {"type": "home", "blocks": blocks[:BLOCKS_PER_VIEW]}
