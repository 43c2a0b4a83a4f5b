"""Escalation: who hears of an incident, through the outbox (never sent twice, never lost)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Chat, ExpertAssignment, Incident, Person
from bot.store.repo import identities_of
from bot.store.outbox import Recipient

INCIDENT_CHAT = "incidents"


async def escalation_recipients(session: AsyncSession, incident: Incident) -> list[Recipient]:
    """The company's leads and incident group chats, its assigned experts, and the secretariat, on
    every platform account they linked; not the reporter, who already has the answer in their chat."""
    experts = select(ExpertAssignment.person_id).where(ExpertAssignment.company_id == incident.company_id)
    people = await session.scalars(
        select(Person).where(
            or_(
                Person.role == "secretariat",
                (Person.company_id == incident.company_id) & (Person.role == "lead"),
                Person.id.in_(experts),
            )
        )
    )
    recipients = [
        Recipient(identity.platform, identity.platform_user_id, p.language, p.id)
        for p in people
        if p.id != incident.reporter_id
        for identity in await identities_of(session, p.id)
    ]
    if incident.company_id is not None:
        chats = await session.scalars(
            select(Chat).where(Chat.company_id == incident.company_id, Chat.purpose == INCIDENT_CHAT)
        )
        recipients.extend(Recipient(c.platform, c.chat_id, "ja") for c in chats)
    return recipients
