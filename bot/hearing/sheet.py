"""A company's sheet as everyone reads it: the current answers, who gave them, the plan they make
and its counts, by section. Built from the database in one place so that the chat, /status, the
report and the overview say the same thing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.engine.flow import Answer, CompiledFlow, Plan, Step
from bot.hearing.counts import SheetCounts, count, counted
from bot.store import sheets
from bot.store.models import Company, HearingSheet
from bot.store.sheets import Given


@dataclass
class CompanySheet:
    company: Company
    flow: CompiledFlow
    sheet: HearingSheet | None  # None until someone of the company first opens it
    given: dict[str, Given]
    names: dict[int, str]  # person id -> how they are named beside their answers

    @cached_property
    def answers(self) -> dict[str, Answer]:
        return {key: g.answer for key, g in self.given.items()}

    @cached_property
    def plan(self) -> Plan:
        return self.flow.plan(self.answers)

    @cached_property
    def counts(self) -> SheetCounts:
        return count(self.plan, self.answers)

    @property
    def submitted(self) -> bool:
        return self.sheet is not None and self.sheet.status == "submitted"

    @property
    def submitted_at(self) -> datetime | None:
        """The last submission, kept when a later change reopens the sheet."""
        return self.sheet.submitted_at if self.sheet is not None else None

    def steps(self) -> list[Step]:
        """The questions that apply, in order (counted ones: no "one more?" steps)."""
        return [s for s in self.plan if counted(s)]

    def section_counts(self) -> list[tuple[int, SheetCounts]]:
        """(section index, its counts) for each section that has a question applying."""
        out = []
        for index in range(len(self.flow.sections)):
            plan = tuple(s for s in self.plan if s.section_index == index)
            if any(counted(s) for s in plan):
                out.append((index, count(plan, self.answers)))
        return out

    def who(self, key: str) -> str | None:
        given = self.given.get(key)
        return self.names.get(given.person_id) if given and given.person_id is not None else None

    def answerers(self) -> list[str]:
        """Who answered, most answers first (among the questions that apply)."""
        tally = Counter(self.given[s.key].person_id for s in self.steps() if s.key in self.given)
        return [self.names[p] for p, _ in tally.most_common() if p is not None and p in self.names]

    def changed_since_submission(self, key: str) -> bool:
        given, at = self.given.get(key), self.submitted_at
        return given is not None and at is not None and given.answered_at > at


async def load(session: AsyncSession, content: Content, company: Company) -> CompanySheet | None:
    """The company's sheet on its course's flow; None when content has no flow for the course."""
    flow = content.hearing_flow(company.course)
    if flow is None:
        return None
    sheet = await sheets.sheet_of(session, company.id, flow.id)
    given = await sheets.given_answers(session, sheet.id) if sheet is not None else {}
    names = await sheets.names_of(session, (g.person_id for g in given.values()))
    return CompanySheet(company, flow, sheet, given, names)
