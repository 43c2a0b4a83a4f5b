"""The one count of a hearing sheet, used by the chat, /status, the report and the overview.

Over the questions that apply (the plan for the current answers, so a question a changed answer
made irrelevant is not counted): each is answered, 分からない (unknown), skipped or open. The "one
more?" step after a group entry is how the sheet walks a repeated group, not a question of its
own, and is not counted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping

from bot.engine.flow import MORE, Answer, Plan, Step
from bot.engine.step import answer_state

State = Literal["answered", "unknown", "skipped", "open"]


@dataclass(frozen=True)
class SheetCounts:
    answered: int = 0
    unknown: int = 0
    skipped: int = 0
    open: int = 0

    @property
    def total(self) -> int:
        return self.answered + self.unknown + self.skipped + self.open

    @property
    def given(self) -> int:
        """Questions with any answer (分からない and skips included): the progress people see."""
        return self.answered + self.unknown + self.skipped


def counted(step: Step) -> bool:
    return step.answerable and step.question.id != MORE


def state_of(answer: Answer | None) -> State:
    """The engine's answer_state, in the sheet's words: a question nobody answered is open."""
    state = answer_state(answer)
    return "open" if state == "unanswered" else state  # type: ignore[return-value]


def count(plan: Plan, answers: Mapping[str, Answer]) -> SheetCounts:
    tally = {"answered": 0, "unknown": 0, "skipped": 0, "open": 0}
    for step in plan:
        if counted(step):
            tally[state_of(answers.get(step.key))] += 1
    return SheetCounts(**tally)
