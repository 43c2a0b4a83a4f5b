"""The secretariat's overview: per company, hearing completion, open incidents by severity, members."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.engine.flow import MORE
from bot.incidents.service import OPEN
from bot.reports.hearing import company_hearing
from bot.store import repo
from bot.store.models import Company, Incident, Person


@dataclass
class OverviewRow:
    company: str
    course: str
    members: int
    hearing_status: str  # none | active | paused | completed | cancelled
    answered: int
    questions: int
    incidents: dict[str, int] = field(default_factory=dict)  # open incidents by severity
    next_visit: str = ""

    def as_params(self) -> dict[str, object]:
        open_incidents = " ".join(f"{level}:{count}" for level, count in self.incidents.items()) or "0"
        return {
            "company": self.company, "course": self.course, "members": self.members,
            "hearing": f"{self.answered}/{self.questions}", "status": self.hearing_status,
            "incidents": open_incidents, "next_visit": self.next_visit or "-",
        }


async def company_rows(session: AsyncSession, content: Content, lang: str) -> list[OverviewRow]:
    rows = []
    flow_ids = list(content.flows)
    for company in await repo.list_companies(session):
        rows.append(await _row(session, content, company, flow_ids))
    return rows


async def _row(session: AsyncSession, content: Content, company: Company, flow_ids: list[str]) -> OverviewRow:
    members = int(await session.scalar(select(func.count()).where(Person.company_id == company.id)) or 0)
    conversation = await company_hearing(session, company.id, flow_ids)
    answered = questions = 0
    status = "none"
    if conversation is not None:
        flow = await repo.flow_of(session, conversation)
        answers = await repo.load_answers(session, conversation.id)
        plan = [s for s in flow.plan(answers) if s.answerable and s.question.id != MORE]
        questions = len(plan)
        answered = sum(1 for s in plan if s.key in answers)
        status = conversation.status
    else:
        flow = content.hearing_flow(company.course)
        questions = len([s for s in flow.plan({}) if s.answerable and s.question.id != MORE]) if flow else 0
    counts = dict(
        (await session.execute(
            select(Incident.severity, func.count())
            .where(Incident.company_id == company.id, Incident.status.in_(OPEN))
            .group_by(Incident.severity)
        )).all()
    )
    levels = [lvl.id for lvl in content.response.incident.levels] if content.response.incident else sorted(counts)
    incidents = {level: int(counts[level]) for level in levels if level in counts}
    return OverviewRow(company.name, company.course, members, status, answered, questions, incidents)
