"""Escalation: who hears of an incident, through the outbox (never sent twice, never lost)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Chat, Incident, Person
from bot.store.outbox import Recipient

INCIDENT_CHAT = "incidents"


async def escalation_recipients(session: AsyncSession, incident: Incident) -> list[Recipient]:
    """The company's leads and incident group chats, its experts, and the secretariat; not the
    reporter, who already has the answer in their chat."""
    people = await session.scalars(
        select(Person).where(
            or_(
                Person.role == "secretariat",
                (Person.company_id == incident.company_id) & Person.role.in_(("lead", "expert")),
            )
        )
    )
    recipients = [
        Recipient(p.platform, p.platform_user_id, p.language, p.id)
        for p in people
        if p.id != incident.reporter_id
    ]
    if incident.company_id is not None:
        chats = await session.scalars(
            select(Chat).where(Chat.company_id == incident.company_id, Chat.purpose == INCIDENT_CHAT)
        )
        recipients.extend(Recipient(c.platform, c.chat_id, "ja") for c in chats)
    return recipients
