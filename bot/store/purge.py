"""Delete everything of one company after the programme (`helpdesk company purge NAME`).

The audit log stays (its company reference becomes empty): what was done with the company's data
must remain answerable after the data is gone."""

from __future__ import annotations

from sqlalchemy import Executable, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import (
    AnswerRow,
    Chat,
    Company,
    Conversation,
    Identity,
    Incident,
    IncidentEvent,
    IntakeMiss,
    Invitation,
    OutboxRow,
    Person,
)


async def _count(session: AsyncSession, statement: Executable) -> int:
    return int(await session.scalar(statement) or 0)


async def purge_company(session: AsyncSession, company: Company) -> dict[str, int]:
    """Delete the company, its people (with their accounts, conversations and answers), its
    incidents and timelines, invitations, chats, queued messages and what they wrote that the intake
    kept (their own words). Returns what was deleted."""
    people = select(Person.id).where(Person.company_id == company.id)
    conversations = select(Conversation.id).where(Conversation.person_id.in_(people))
    incidents = select(Incident.id).where(Incident.company_id == company.id)
    counts = {
        "people": await _count(session, select(func.count()).select_from(people.subquery())),
        "conversations": await _count(session, select(func.count()).select_from(conversations.subquery())),
        "answers": await _count(session, select(func.count()).where(AnswerRow.conversation_id.in_(conversations))),
        "incidents": await _count(session, select(func.count()).select_from(incidents.subquery())),
        "incident_events": await _count(session, select(func.count()).where(IncidentEvent.incident_id.in_(incidents))),
        "invitations": await _count(session, select(func.count()).where(Invitation.company_id == company.id)),
        "chats": await _count(session, select(func.count()).where(Chat.company_id == company.id)),
        "queued_messages": await _count(session, select(func.count()).where(OutboxRow.person_id.in_(people))),
        "intake_misses": await _count(session, select(func.count()).where(IntakeMiss.person_id.in_(people))),
    }
    # Children first, so the result is the same with or without the database's ON DELETE rules.
    await session.execute(delete(IncidentEvent).where(IncidentEvent.incident_id.in_(incidents)))
    await session.execute(delete(Incident).where(Incident.company_id == company.id))
    await session.execute(delete(AnswerRow).where(AnswerRow.conversation_id.in_(conversations)))
    await session.execute(delete(Conversation).where(Conversation.person_id.in_(people)))
    await session.execute(delete(OutboxRow).where(OutboxRow.person_id.in_(people)))
    await session.execute(delete(Identity).where(Identity.person_id.in_(people)))
    await session.execute(delete(IntakeMiss).where(IntakeMiss.person_id.in_(people)))
    await session.execute(delete(Invitation).where(Invitation.company_id == company.id))
    await session.execute(delete(Chat).where(Chat.company_id == company.id))
    await session.execute(delete(Person).where(Person.company_id == company.id))
    await session.delete(company)
    await session.flush()
    return counts
