"""Following up a report: a note on its timeline, a move to another status. Chat (/incident
note|move, the buttons), the CLI (through the chat commands) and the web desk call these, after
bot.policy has said yes; each tells the reporter and the lead through bot.incidents.followup."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.content.models import IncidentConfig, Status
from bot.engine.parse import clean_text, word_key
from bot.incidents import followup, service
from bot.store.models import Incident, IncidentEvent, Person

NOTE_MAX = 2000


def find_status(config: IncidentConfig, given: str) -> Status | None:
    """A status by its id or its label in either language (対応中, contained, クローズ)."""
    key = word_key(given)
    return next((s for s in config.statuses if key in (s.id, word_key(s.label.ja), word_key(s.label.en))), None)


def note_text(given: str) -> str:
    """The note as it is kept; raises ValueError("empty") or ValueError("too_long")."""
    text = clean_text(given)
    if not text:
        raise ValueError("empty")
    if len(text) > NOTE_MAX:
        raise ValueError("too_long")
    return text


async def add_note(
    session: AsyncSession, content: Content, incident: Incident, person: Person, text: str, now: datetime, today: date,
) -> IncidentEvent:
    event = service.add_event(session, incident, "update", now, person.id, text=text)
    await followup.after_note(session, content, incident, event, person, today)
    return event


async def move_to(
    session: AsyncSession, content: Content, incident: Incident, person: Person, status: Status,
    now: datetime, today: date,
) -> IncidentEvent | None:
    """Move the report; None when it already has that status (nothing recorded, nobody told)."""
    if status.id == incident.status:
        return None
    old, incident.status = incident.status, status.id
    event = service.add_event(session, incident, "status", now, person.id, data={"from": old, "to": status.id})
    await followup.after_move(session, content, incident, event, person, today)
    return event
