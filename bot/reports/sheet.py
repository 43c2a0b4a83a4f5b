"""The company's hearing sheet as the report reads it: which answers, and who gave each.

`sheet_answers` is the one place that decides whose answers a report shows; everything else in
bot/reports builds from its result, so changing where answers come from changes this function only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.flow import Answer, CompiledFlow
from bot.hearing.counts import count
from bot.store import sheets
from bot.store.models import Company

# The option value the hearing's 分からない options have (content/hearing/parts/*.yaml).
UNKNOWN_OPTION = "unknown"


@dataclass
class SheetAnswers:
    flow: CompiledFlow  # the flow the answers were given on (the conversation's content version)
    answers: dict[str, Answer] = field(default_factory=dict)  # question key -> the latest answer
    answered_by: dict[str, str] = field(default_factory=dict)  # question key -> who gave it
    status: str = "none"  # submitted | completed (all answered) | active | none (not started)
    started_at: datetime | None = None
    updated_at: datetime | None = None
    submitted_at: datetime | None = None  # the last submission (kept when a change reopened the sheet)
    changed_since_submission: set[str] = field(default_factory=set)  # keys answered after it


def answer_is_unknown(answer: Answer | None) -> bool:
    """「分からない」: an answer, not a skip, but something the expert must clarify at visit 1.

    The one place that reads it: the engine's `unknown` flag, or the 分からない option of a choice
    (or among the choices of a multi-choice) recorded before the flag existed."""
    if answer is None or answer.skipped:
        return False
    if answer.unknown:
        return True
    value = answer.value
    return value == UNKNOWN_OPTION or (isinstance(value, list) and UNKNOWN_OPTION in value)


async def sheet_answers(session: AsyncSession, company: Company, flow: CompiledFlow) -> SheetAnswers:
    """The company's shared sheet on `flow` (its course's flow): the current answer to each
    question and who gave it (bot/store/sheets.py); every member reads the same sheet."""
    sheet = await sheets.sheet_of(session, company.id, flow.id)
    if sheet is None:
        return SheetAnswers(flow)
    given = await sheets.given_answers(session, sheet.id)
    names = await sheets.names_of(session, (g.person_id for g in given.values()))
    answers = {key: g.answer for key, g in given.items()}
    counts = count(flow.plan(answers), answers)
    status = "submitted" if sheet.status == "submitted" else (
        "none" if not counts.given else "completed" if not counts.open else "active"
    )
    return SheetAnswers(
        flow, answers=answers,
        answered_by={key: names.get(g.person_id, "") for key, g in given.items() if g.person_id is not None},
        status=status, started_at=sheet.created_at, updated_at=sheet.updated_at,
        submitted_at=sheet.submitted_at,
        changed_since_submission={
            key for key, g in given.items() if sheet.submitted_at is not None and g.answered_at > sheet.submitted_at
        },
    )
