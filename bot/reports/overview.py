"""The secretariat's overview: per company, hearing completion, open incidents by severity, open improvement items, members,
the next visit. The rows carry ids (the CLI prints them, a CSV keeps them); `labelled` gives the
chat the content's labels in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.drafts.improvements import open_counts
from bot.incidents.service import OPEN
from bot.hearing.sheet import load as load_sheet
from bot.store import repo
from bot.store.models import Company, Incident, Person, Visit


@dataclass(frozen=True)
class NextVisit:
    number: int  # 1..6, the visit plan in content/programme.yaml
    starts_at: datetime  # UTC


@dataclass
class OverviewRow:
    company: str
    course: str
    members: int
    hearing_status: str  # none | active | paused | completed | cancelled
    answered: int
    questions: int
    incidents: dict[str, int] = field(default_factory=dict)  # open incidents by severity
    next_visit: NextVisit | None = None
    company_id: int = 0
    visits_held: int = 0  # scheduled visits that have begun
    last_activity: datetime | None = None  # the latest hearing answer or incident update (UTC)
    open_actions: int = 0  # improvement items not done (bot/drafts/improvements.py)

    def as_params(self, next_visit: str = "-") -> dict[str, object]:
        """The row with ids, as the CLI and its CSV show it; `next_visit` as the caller formats it."""
        open_incidents = " ".join(f"{level}:{count}" for level, count in self.incidents.items()) or "0"
        return {
            "company": self.company, "course": self.course, "members": self.members,
            "hearing": f"{self.answered}/{self.questions}", "status": self.hearing_status,
            "incidents": open_incidents, "actions": self.open_actions, "next_visit": next_visit,
        }

    def labelled(self, content: Content, lang: str, next_visit: str) -> dict[str, object]:
        """The row for people to read: the course's name, the hearing's state and the severities
        by their labels (content/programme.yaml, content/messages, content/incident.yaml)."""
        book = content.book
        programme = content.response.programme
        course = next((c.name.get(lang) for c in programme.courses if c.code == self.course), None) if programme else None
        levels = {lvl.id: lvl.label.get(lang) for lvl in content.response.incident.levels} if content.response.incident else {}
        incidents = book.say("overview.incidents_none", lang) if not self.incidents else " ".join(
            book.say("overview.incidents_level", lang, level=levels.get(level, level), count=count)
            for level, count in self.incidents.items()
        )
        return {
            **self.as_params(next_visit), "course": course or self.course,
            "status": book.say(f"overview.hearing_{self.hearing_status}", lang), "incidents": incidents,
        }


async def company_rows(
    session: AsyncSession, content: Content, lang: str, now: datetime, only: frozenset[int] | None = None,
) -> list[OverviewRow]:
    """Every company's row (or those in `only`); the next visit is the first scheduled one that has
    not begun at `now`."""
    rows = []
    upcoming = await _next_visits(session, now)
    actions = await open_counts(session)
    held = dict(
        (await session.execute(
            select(Visit.company_id, func.count())
            .where(Visit.status == "scheduled", Visit.starts_at <= now).group_by(Visit.company_id)
        )).all()
    )
    for company in await repo.list_companies(session):
        if only is not None and company.id not in only:
            continue
        row = await _row(session, content, company, upcoming.get(company.id))
        row.visits_held = int(held.get(company.id, 0))
        row.open_actions = actions.get(company.id, 0)
        rows.append(row)
    return rows


async def _next_visits(session: AsyncSession, now: datetime) -> dict[int, NextVisit]:
    # One query for all companies: the earliest scheduled visit still ahead of each.
    found: dict[int, NextVisit] = {}
    query = (
        select(Visit.company_id, Visit.number, Visit.starts_at)
        .where(Visit.status == "scheduled", Visit.starts_at > now)
        .order_by(Visit.starts_at)
    )
    for company_id, number, starts_at in (await session.execute(query)).all():
        found.setdefault(company_id, NextVisit(number, starts_at))
    return found


async def _row(
    session: AsyncSession, content: Content, company: Company, next_visit: NextVisit | None,
) -> OverviewRow:
    members = int(await session.scalar(select(func.count()).where(Person.company_id == company.id)) or 0)
    view = await load_sheet(session, content, company)
    answered = questions = 0
    status = "none"
    if view is not None:
        answered, questions = view.counts.given, view.counts.total
        if view.submitted:
            status = "submitted"
        elif view.counts.given:
            status = "completed" if view.counts.open == 0 else "active"
    counts = dict(
        (await session.execute(
            select(Incident.severity, func.count())
            .where(Incident.company_id == company.id, Incident.status.in_(OPEN))
            .group_by(Incident.severity)
        )).all()
    )
    levels = [lvl.id for lvl in content.response.incident.levels] if content.response.incident else sorted(counts)
    incidents = {level: int(counts[level]) for level in levels if level in counts}
    touched = [
        await session.scalar(select(func.max(Incident.updated_at)).where(Incident.company_id == company.id)),
        view.sheet.updated_at if view is not None and view.sheet is not None else None,
    ]
    last = max((t for t in touched if t is not None), default=None)
    return OverviewRow(
        company.name, company.course, members, status, answered, questions, incidents, next_visit,
        company_id=company.id, last_activity=last,
    )
