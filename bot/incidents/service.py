"""Incident records: filing (once per report form), the timeline, severity, status and checklist."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.models import IncidentConfig
from bot.engine.flow import Answer
from bot.incidents.severity import severity_of
from bot.store.models import Counter, Incident, IncidentEvent
from bot.store.repo import insert_for

OPEN = ("received", "in_progress", "contained")


async def next_number(session: AsyncSession, year: int) -> str:
    """INC-2026-0007. The counter row is locked by the UPDATE, so two reports filed at the same
    moment on PostgreSQL cannot get the same number."""
    name = f"incident:{year}"
    await session.execute(
        insert_for(session, Counter).values(name=name, value=0).on_conflict_do_nothing()
    )
    value = await session.scalar(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    )
    return f"INC-{year}-{int(value or 0):04d}"


async def incident_of_conversation(session: AsyncSession, conversation_id: int) -> Incident | None:
    return await session.scalar(select(Incident).where(Incident.conversation_id == conversation_id))


async def by_number(session: AsyncSession, number: str) -> Incident | None:
    return await session.scalar(select(Incident).where(Incident.number == number.strip().upper()))


async def of_company(session: AsyncSession, company_id: int, *, open_only: bool = True) -> list[Incident]:
    query = select(Incident).where(Incident.company_id == company_id)
    if open_only:
        query = query.where(Incident.status.in_(OPEN))
    return list(await session.scalars(query.order_by(Incident.id.desc())))


async def open_among(session: AsyncSession, companies: frozenset[int] | None) -> list[Incident]:
    """Open incidents of these companies (None: every company), newest first."""
    query = select(Incident).where(Incident.status.in_(OPEN))
    if companies is not None:
        if not companies:
            return []
        query = query.where(Incident.company_id.in_(companies))
    return list(await session.scalars(query.order_by(Incident.id.desc())))


async def recent_same(
    session: AsyncSession, reporter_id: int, category: str, since: datetime,
) -> Incident | None:
    """The person's newest open report of this category filed since `since`, if any."""
    return await session.scalar(
        select(Incident).where(
            Incident.reporter_id == reporter_id, Incident.category == category,
            Incident.created_at >= since, Incident.status.in_(OPEN),
        ).order_by(Incident.id.desc()).limit(1)
    )


def add_event(
    session: AsyncSession, incident: Incident, kind: str, now: datetime,
    person_id: int | None = None, text: str | None = None, data: dict[str, Any] | None = None,
) -> IncidentEvent:
    event = IncidentEvent(incident_id=incident.id, at=now, kind=kind, person_id=person_id, text=text, data=data)
    session.add(event)
    incident.updated_at = now
    return event


async def file_incident(
    session: AsyncSession, config: IncidentConfig, *, conversation_id: int, company_id: int | None,
    reporter_id: int, answers: Mapping[str, Answer], now: datetime, out_of_hours: bool, year: int,
) -> tuple[Incident, bool]:
    """File the report of a conversation; (incident, True) the first time, (existing, False) after."""
    existing = await incident_of_conversation(session, conversation_id)
    if existing is not None:
        return existing, False
    category = answers[config.category_question].value
    route = config.categories.get(category)
    incident = Incident(
        number=await next_number(session, year),
        company_id=company_id, reporter_id=reporter_id, conversation_id=conversation_id,
        category=category, severity=severity_of(config, answers), status=config.statuses[0].id,
        playbook_id=route.playbook if route else None, contacts=list(route.contacts) if route else [],
        out_of_hours=out_of_hours, created_at=now, updated_at=now,
    )
    session.add(incident)
    await session.flush()
    add_event(session, incident, "filed", now, reporter_id, data={"severity": incident.severity})
    return incident, True


def reassess(session: AsyncSession, config: IncidentConfig, incident: Incident, answers: Mapping[str, Answer], now: datetime) -> str | None:
    """Details can change the severity (personal data leaked makes it critical): returns the old
    level when it changed."""
    level = severity_of(config, answers)
    if level == incident.severity:
        return None
    old, incident.severity = incident.severity, level
    add_event(session, incident, "severity", now, data={"from": old, "to": level})
    return old


async def events_of(session: AsyncSession, incident_id: int) -> list[IncidentEvent]:
    return list(
        await session.scalars(
            select(IncidentEvent).where(IncidentEvent.incident_id == incident_id).order_by(IncidentEvent.id)
        )
    )


def steps_done(events: list[IncidentEvent]) -> set[str]:
    """The playbook steps ticked, from the timeline (the last tick or untick of a step wins)."""
    done: set[str] = set()
    for event in events:
        if event.kind == "step" and event.data:
            step = str(event.data.get("step"))
            if event.data.get("done"):
                done.add(step)
            else:
                done.discard(step)
    return done
