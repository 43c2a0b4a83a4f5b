"""Delete everything of one company after the programme (`helpdesk company purge NAME`).

"Everything" includes what was queued about the company for people outside it: an incident's
escalation to the experts and the secretariat, a visit's reminders, the invitations to an event
only for the company, a broadcast to `company:NAME`. Those notices and their outbox rows go too,
sent or not: an undelivered one must never go out after the purge, and a sent one still holds
the company's text. Events for the company alone go with their RSVPs; everyone's RSVPs from the
company's people go as well.

The audit log stays (its company reference becomes empty): what was done with the company's data
must remain answerable after the data is gone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, false, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import (
    AnswerRow,
    Chat,
    Company,
    Conversation,
    Event,
    ExpertAssignment,
    Identity,
    Incident,
    IncidentEvent,
    IntakeMiss,
    Invitation,
    Notice,
    NoticeDraft,
    OutboxClaim,
    OutboxRow,
    Person,
    Rsvp,
    Visit,
    VisitReply,
)

UNDELIVERED = ("pending", "sending")


async def _count(session: AsyncSession, query: Select[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)


async def purge_company(session: AsyncSession, company: Company) -> dict[str, int]:
    """Delete the company, its people (with their accounts, conversations, answers and RSVPs), its
    incidents and timelines, visits, events for it alone, invitations, chats, what they wrote that the intake kept (their own words), and every notice and
    queued message about it. Returns how many of each kind were deleted."""
    audience = f"company:{company.name}"
    people = select(Person.id).where(Person.company_id == company.id)
    conversations = select(Conversation.id).where(Conversation.person_id.in_(people))
    incident_ids = list(await session.scalars(select(Incident.id).where(Incident.company_id == company.id)))
    visit_ids = list(await session.scalars(select(Visit.id).where(Visit.company_id == company.id)))
    event_ids = list(await session.scalars(select(Event.id).where(Event.audience == audience)))
    chats = [(c.platform, c.chat_id) for c in await session.scalars(select(Chat).where(Chat.company_id == company.id))]

    # Notices are found by their refs ("incident:7:filed:high", "visit:12:r2:d3", "event:4:r1:invite")
    # and by their audience (a broadcast to the company); the trailing ':' keeps 1 from matching 12.
    prefixes = [f"incident:{i}:" for i in incident_ids] + [f"visit:{i}:" for i in visit_ids] + [f"event:{i}:" for i in event_ids]
    notice_ids = list(await session.scalars(
        select(Notice.id).where(or_(Notice.audience == audience, *(Notice.ref.startswith(p, autoescape=True) for p in prefixes)))
    ))
    outbox = select(OutboxRow.id).where(or_(
        OutboxRow.notice_id.in_(notice_ids),
        OutboxRow.person_id.in_(people),
        tuple_(OutboxRow.platform, OutboxRow.chat_id).in_(chats) if chats else false(),
    ))
    rsvps = select(Rsvp.event_id).where(or_(Rsvp.person_id.in_(people), Rsvp.event_id.in_(event_ids)))
    drafts = select(NoticeDraft.id).where(or_(NoticeDraft.audience == audience, NoticeDraft.notice_id.in_(notice_ids)))

    counts = {
        "people": await _count(session, people),
        "conversations": await _count(session, conversations),
        "answers": await _count(session, select(AnswerRow.id).where(AnswerRow.conversation_id.in_(conversations))),
        "incidents": len(incident_ids),
        "incident_events": await _count(session, select(IncidentEvent.id).where(IncidentEvent.incident_id.in_(incident_ids))),
        "visits": len(visit_ids),
        "visit_replies": await _count(session, select(VisitReply.visit_id).where(
            or_(VisitReply.visit_id.in_(visit_ids), VisitReply.person_id.in_(people)))),
        "events": len(event_ids),
        "rsvps": await _count(session, rsvps),
        "invitations": await _count(session, select(Invitation.id).where(Invitation.company_id == company.id)),
        "chats": len(chats),
        "expert_assignments": await _count(session, select(ExpertAssignment.person_id).where(ExpertAssignment.company_id == company.id)),
        "notices": len(notice_ids),
        "notice_drafts": await _count(session, drafts),
        "queued_messages": await _count(session, outbox),
        "undelivered_messages": await _count(session, outbox.where(OutboxRow.status.in_(UNDELIVERED))),
        "intake_misses": await _count(session, select(IntakeMiss.id).where(IntakeMiss.person_id.in_(people))),
    }
    # Children first, so the result is the same with or without the database's ON DELETE rules.
    outbox_ids = list(await session.scalars(outbox))
    await session.execute(delete(OutboxClaim).where(OutboxClaim.outbox_id.in_(outbox_ids)))
    await session.execute(delete(OutboxRow).where(OutboxRow.id.in_(outbox_ids)))
    await session.execute(delete(NoticeDraft).where(NoticeDraft.id.in_(drafts)))
    await session.execute(delete(Notice).where(Notice.id.in_(notice_ids)))
    await session.execute(delete(Rsvp).where(or_(Rsvp.person_id.in_(people), Rsvp.event_id.in_(event_ids))))
    await session.execute(delete(Event).where(Event.id.in_(event_ids)))
    await session.execute(delete(VisitReply).where(or_(VisitReply.visit_id.in_(visit_ids), VisitReply.person_id.in_(people))))
    await session.execute(delete(Visit).where(Visit.id.in_(visit_ids)))
    await session.execute(delete(IncidentEvent).where(IncidentEvent.incident_id.in_(incident_ids)))
    await session.execute(delete(Incident).where(Incident.id.in_(incident_ids)))
    await session.execute(delete(AnswerRow).where(AnswerRow.conversation_id.in_(conversations)))
    await session.execute(delete(Conversation).where(Conversation.person_id.in_(people)))
    await session.execute(delete(Identity).where(Identity.person_id.in_(people)))
    await session.execute(delete(IntakeMiss).where(IntakeMiss.person_id.in_(people)))
    await session.execute(delete(ExpertAssignment).where(ExpertAssignment.company_id == company.id))
    await session.execute(delete(Invitation).where(Invitation.company_id == company.id))
    await session.execute(delete(Chat).where(Chat.company_id == company.id))
    await session.execute(delete(Person).where(Person.company_id == company.id))
    await session.delete(company)
    await session.flush()
    return counts
