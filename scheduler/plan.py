"""Which reminders a visit or an event has, and when: pure functions of the row and the content.

A reminder's id is also its APScheduler job id and the ref of the notice it becomes, so the job
store, the outbox and the logs name it the same way: "visit:12:r2:d3" is the 3-days-before reminder
of visit 12 as scheduled by its 2nd revision (a move makes a new revision with new reminders).

Each reminder is in one of four states at a given moment:
- not applicable: due before the visit was (re)scheduled; a visit booked for tomorrow gets no
  3-days-before reminder (it got the "visit scheduled" notice instead);
- future: an APScheduler job waits for it;
- due: send now (also when its time passed while the bot was down, as long as the visit has not
  started);
- missed: the visit started before it could be sent: dropped, and logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from bot.content.models import Programme
from bot.store.models import Event, Visit
from scheduler.localtime import due_at

Kind = Literal["visit", "nudge", "event"]
State = Literal["not_applicable", "future", "due", "missed"]
NUDGE = "nudge"


@dataclass(frozen=True)
class Reminder:
    kind: Kind
    target_id: int
    revision: int
    key: str  # the offset id of content/programme.yaml, or "nudge"
    due: datetime  # UTC
    starts_at: datetime  # the visit's or event's start: the reminder is pointless after it
    scheduled_at: datetime

    @property
    def ref(self) -> str:
        prefix = "event" if self.kind == "event" else "visit"
        return f"{prefix}:{self.target_id}:r{self.revision}:{self.key}"

    def state(self, now: datetime) -> State:
        if self.due <= self.scheduled_at or self.due >= self.starts_at:
            return "not_applicable"
        if now < self.due:
            return "future"
        return "due" if now < self.starts_at else "missed"


def parse_ref(ref: str) -> tuple[str, int, int, str] | None:
    """'visit:12:r2:d3' -> ('visit', 12, 2, 'd3'); None for any other ref."""
    parts = ref.split(":")
    if len(parts) != 4 or parts[0] not in ("visit", "event") or not parts[1].isdigit():
        return None
    if not parts[2].startswith("r") or not parts[2][1:].isdigit():
        return None
    return parts[0], int(parts[1]), int(parts[2][1:]), parts[3]


def visit_reminders(visit: Visit, programme: Programme, tz: ZoneInfo) -> list[Reminder]:
    if visit.status != "scheduled":
        return []
    found = [
        Reminder("visit", visit.id, visit.revision, offset.id, due_at(visit.starts_at, offset, tz),
                 visit.starts_at, visit.scheduled_at)
        for offset in programme.reminders.visit
    ]
    nudge = programme.reminders.hearing_nudge
    if nudge is not None and nudge.visit == visit.number:
        found.append(
            Reminder("nudge", visit.id, visit.revision, NUDGE, due_at(visit.starts_at, (nudge.days_before, nudge.at), tz),
                     visit.starts_at, visit.scheduled_at)
        )
    return found


def event_reminders(event: Event, programme: Programme, tz: ZoneInfo) -> list[Reminder]:
    if event.status != "scheduled":
        return []
    return [
        Reminder("event", event.id, event.revision, offset.id, due_at(event.starts_at, offset, tz),
                 event.starts_at, event.scheduled_at)
        for offset in programme.reminders.event
    ]


def reminder_for(row: Visit | Event, revision: int, key: str, programme: Programme, tz: ZoneInfo) -> Reminder | None:
    """Reminder `key` of a visit or event, if the row still has it at `revision` (None once moved,
    cancelled, or the content no longer names the offset)."""
    if row.revision != revision:
        return None
    found = visit_reminders(row, programme, tz) if isinstance(row, Visit) else event_reminders(row, programme, tz)
    return next((r for r in found if r.key == key), None)
