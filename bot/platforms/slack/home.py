"""The App Home tab: who the person is registered as, and how far their hearing sheet is.

The view is a list of parts, each an async function of the person's record. Open incidents (issue 3)
and the next visit (the scheduler issue) become two more parts in `PARTS` once their data exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.engine.runtime import Runtime
from bot.platforms.slack.blocks import (
    MENU_ITEM,
    Block,
    Say,
    button,
    context,
    from_engine,
    header,
    section,
    speaker,
)
from bot.platforms.slack.inbound import PLATFORM
from bot.platforms.slack.limits import BLOCKS_PER_VIEW
from bot.store import repo
from bot.store.models import Person


@dataclass(frozen=True)
class Home:
    session: AsyncSession
    person: Person | None  # None: someone who never wrote to the bot
    content: Content
    say: Say


HomePart = Callable[[Home], Awaitable[list[Block]]]


async def registration(home: Home) -> list[Block]:
    person = home.person
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
    flow_ids = [flow.id for flow in home.content.flows.values()]
    latest = await repo.latest_conversation(home.session, person.id, flow_ids)
    if latest is None:
        status = home.say("status.hearing_none")
    else:
        answered = len(await repo.load_answers(home.session, latest.id))
        status = home.say(f"status.hearing_{latest.status}", answered=answered)
    blocks: list[Block] = [{"type": "divider"}, section(from_engine(status))]
    if latest is None or latest.status != "completed":
        open_sheet = button(f"{MENU_ITEM}hearing", home.say("slack.home.open_hearing"), "/hearing", primary=True)
        blocks.append({"type": "actions", "block_id": "home_hearing", "elements": [open_sheet]})
    return blocks


PARTS: tuple[HomePart, ...] = (registration, hearing)


async def home_view(runtime: Runtime, user_id: str, lang: str) -> Block:
    say = speaker(runtime.content.book, lang)
    blocks = [header(say("slack.home.title"))]
    async with runtime.sessions() as session:
        person = await repo.person_by_platform(session, PLATFORM, user_id)
        home = Home(session, person, runtime.content, say)
        for part in PARTS:
            blocks.extend(await part(home))
    blocks.append(context(from_engine(say("slack.home.commands"))))
    return {"type": "home", "blocks": blocks[:BLOCKS_PER_VIEW]}
