"""Follow-up notices, through the outbox: the reporter and the company's lead hear of what the
secretariat or the expert does with their report; closing tells everyone who was told at filing.

Each notice has a ref of its own (the timeline event it tells of), so a retried message queues it
once. The note's text goes into the notice for its readers; it is never logged."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.engine.messages import Outbound
from bot.engine.render import Speaker
from bot.incidents.render import status_label
from bot.store.models import Incident, IncidentEvent, Notice, OutboxRow, Person
from bot.store.outbox import Recipient, enqueue
from bot.store.repo import identities_of

FOLLOWING_ROLES = ("secretariat", "expert")  # whose notes and moves the reporter is told of


async def reporter_and_leads(session: AsyncSession, incident: Incident, *, besides: int | None = None) -> list[Recipient]:
    """The reporter and the company's leads, on every account they linked, but not `besides` (who
    acted, and has the answer in their chat)."""
    query = select(Person).where(Person.id == incident.reporter_id)
    if incident.company_id is not None:
        query = select(Person).where(
            (Person.id == incident.reporter_id) | ((Person.company_id == incident.company_id) & (Person.role == "lead"))
        )
    people = [p for p in await session.scalars(query) if p.id != besides]
    return [
        Recipient(identity.platform, identity.platform_user_id, p.language, p.id)
        for p in sorted(people, key=lambda p: p.id)
        for identity in await identities_of(session, p.id)
    ]


async def told_at_filing(session: AsyncSession, incident: Incident) -> list[Recipient]:
    """The chats the filing notice was queued for (leads, experts, the secretariat, incident chats)."""
    rows = await session.scalars(
        select(OutboxRow).join(Notice, Notice.id == OutboxRow.notice_id)
        .where(Notice.ref.like(f"incident:{incident.id}:filed:%")).order_by(OutboxRow.id)
    )
    found = []
    for row in rows:
        person = await session.get(Person, row.person_id) if row.person_id is not None else None
        found.append(Recipient(row.platform, row.chat_id, person.language if person else "ja", row.person_id))
    return found


def _speaker(content: Content, lang: str, today: date) -> Speaker:
    return Speaker(lang, content.book, content.words, today)


async def after_note(
    session: AsyncSession, content: Content, incident: Incident, event: IncidentEvent, actor: Person, today: date,
) -> None:
    if actor.role not in FOLLOWING_ROLES:
        return
    await session.flush()  # the event's id names the notice

    def render(lang: str) -> Outbound:
        sp = _speaker(content, lang, today)
        role = sp.say(f"incident.role_{actor.role}")
        lines = [sp.say("incident.notice_update", number=incident.number, role=role), event.text or ""]
        return Outbound("\n".join([*lines, sp.say("incident.notice_hint", number=incident.number)]), kind="notice")

    await enqueue(
        session, kind="incident_update", recipients=await reporter_and_leads(session, incident, besides=actor.id),
        render=render, now=event.at, ref=f"incident:{incident.id}:event:{event.id}",
        audience=f"incident:{incident.number}", payload={"incident": incident.number, "event": "update"},
    )


async def after_move(
    session: AsyncSession, content: Content, incident: Incident, event: IncidentEvent, actor: Person, today: date,
) -> None:
    """A move by the secretariat or the expert is told to the reporter and lead; closing (the last
    status), by anyone, to everyone who was told at filing and the reporter."""
    config = content.response.incident
    assert config is not None
    closing = incident.status == config.statuses[-1].id
    if not closing and actor.role not in FOLLOWING_ROLES:
        return
    await session.flush()
    recipients = await reporter_and_leads(session, incident, besides=actor.id)
    if closing:
        recipients = [r for r in await told_at_filing(session, incident) if r.person_id != actor.id] + recipients

    def render(lang: str) -> Outbound:
        sp = _speaker(content, lang, today)
        if closing:
            text = sp.say("incident.notice_closed", number=incident.number)
        else:
            role = sp.say(f"incident.role_{actor.role}")
            text = sp.say("incident.notice_status", number=incident.number, role=role,
                          status=status_label(content, incident.status, sp))
        return Outbound("\n".join([text, sp.say("incident.notice_hint", number=incident.number)]), kind="notice")

    await enqueue(
        session, kind="incident_update", recipients=recipients, render=render, now=event.at,
        ref=f"incident:{incident.id}:event:{event.id}", audience=f"incident:{incident.number}",
        payload={"incident": incident.number, "event": "closed" if closing else "status"},
    )

