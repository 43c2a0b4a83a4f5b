"""The company's hearing sheet as the report reads it: which answers, and who gave each.

`sheet_answers` is the one place that decides whose answers a report shows; everything else in
bot/reports builds from its result, so changing where answers come from changes this function only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.flow import Answer, CompiledFlow
from bot.store import repo
from bot.store.models import Company, Conversation, Person

# The option value the hearing's 分からない options have (content/hearing/parts/*.yaml).
UNKNOWN_OPTION = "unknown"


@dataclass
class SheetAnswers:
    flow: CompiledFlow  # the flow the answers were given on (the conversation's content version)
    answers: dict[str, Answer] = field(default_factory=dict)  # question key -> the latest answer
    answered_by: dict[str, str] = field(default_factory=dict)  # question key -> who gave it
    status: str = "none"  # completed | active | paused | cancelled | none (not started)
    started_at: datetime | None = None
    updated_at: datetime | None = None
    owner_id: int | None = None  # whose answers these are, for bot/policy (None: nobody's yet)


def answer_is_unknown(answer: Answer | None) -> bool:
    """「分からない」: an answer, not a skip, but something the expert must clarify at visit 1.

    The one place that reads it: the engine's `unknown` flag where it has one, else the 分からない
    option of a choice (or among the choices of a multi-choice)."""
    if answer is None or answer.skipped:
        return False
    if getattr(answer, "unknown", False):
        return True
    value = answer.value
    return value == UNKNOWN_OPTION or (isinstance(value, list) and UNKNOWN_OPTION in value)


async def company_hearing(session: AsyncSession, company_id: int, flow_ids: list[str]) -> Conversation | None:
    """The company's hearing: the latest completed one, else the latest worked on."""
    conversations = list(
        await session.scalars(
            select(Conversation)
            .join(Person, Person.id == Conversation.person_id)
            .where(Person.company_id == company_id, Conversation.flow_id.in_(flow_ids))
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        )
    )
    completed = [c for c in conversations if c.status == "completed"]
    return (completed or conversations)[0] if conversations else None


async def sheet_answers(
    session: AsyncSession, company: Company, flow: CompiledFlow, *, person_id: int | None = None
) -> SheetAnswers:
    """The answers of the company's hearing on `flow` (its course's flow): today the company's
    latest hearing conversation (`company_hearing`), or with `person_id` that person's own latest
    one (a member reads their own answers). Later answers to a key replace earlier ones."""
    if person_id is not None:
        conversation = await repo.latest_conversation(session, person_id, [flow.id])
    else:
        conversation = await company_hearing(session, company.id, [flow.id])
    if conversation is None:
        return SheetAnswers(flow)
    person = await session.get(Person, conversation.person_id)
    name = (person.display_name or person.platform_user_id) if person else ""
    sheet = SheetAnswers(
        await repo.flow_of(session, conversation), status=conversation.status,
        started_at=conversation.started_at, updated_at=conversation.updated_at, owner_id=conversation.person_id,
    )
    sheet.answers = await repo.load_answers(session, conversation.id)
    sheet.answered_by = dict.fromkeys(sheet.answers, name)
    return sheet
