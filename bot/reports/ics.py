"""Visits and events as iCalendar invitations (.ics), for the secretariat to attach to its mails and
for people to put in their calendars.

A visit keeps its UID across moves and its SEQUENCE is the visit's revision, so a calendar that
imported the first invitation updates the event when the moved one arrives; a cancelled visit is
sent with STATUS:CANCELLED and METHOD:CANCEL. Times carry TZID Asia/Tokyo.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from bot.content.loader import Content
from bot.store.models import Company, Event, Visit
from scheduler.render import Say, visit_lines, visit_title

PRODID = "-//Tokyo SME cybersecurity special support programme//help desk bot//JA"
UID_DOMAIN = "helpdesk-bot.invalid"  # UIDs need a domain part; the bot has no public one


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _programme_name(content: Content, lang: str) -> str:
    programme = content.response.programme
    return programme.name.get(lang) if programme and programme.name else ""


def _entry(uid: str, row: Visit | Event, summary: str, tz: ZoneInfo, now: datetime) -> CalendarEvent:
    """What a visit's and an event's invitation share: identity, revision, time, place, status."""
    entry = CalendarEvent()
    entry.add("uid", f"{uid}@{UID_DOMAIN}")
    entry.add("sequence", row.revision)  # a moved visit or event updates the invitation already held
    entry.add("dtstamp", now)
    entry.add("dtstart", row.starts_at.astimezone(tz))
    entry.add("dtend", (row.starts_at + timedelta(minutes=row.duration_minutes)).astimezone(tz))
    entry.add("summary", summary)
    if row.place:
        entry.add("location", row.place)
    entry.add("status", "CANCELLED" if row.status == "cancelled" else "CONFIRMED")
    return entry


def visits_ics(
    visits: list[tuple[Visit, Company]], content: Content, tz: ZoneInfo, lang: str, *, now: datetime,
) -> bytes:
    cancelling = bool(visits) and all(visit.status == "cancelled" for visit, _ in visits)
    calendar = _calendar("CANCEL" if cancelling else "REQUEST")
    say = Say(content, lang, tz)
    name = _programme_name(content, lang)
    for visit, company in visits:
        title = visit_title(say, visit.number)
        entry = _entry(f"visit-{visit.id}", visit, f"{name} {title} ({company.name})" if name else f"{title} ({company.name})",
                       tz, now)
        if visit.place and visit.mode == "online":
            entry.add("url", visit.place)
        entry.add("description", "\n".join(visit_lines(say, visit, company=company.name)[1:]))
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def event_ics(event: Event, content: Content, tz: ZoneInfo, lang: str, *, now: datetime) -> bytes:
    calendar = _calendar("CANCEL" if event.status == "cancelled" else "PUBLISH")
    name = _programme_name(content, lang)
    calendar.add_component(_entry(f"event-{event.id}", event, f"{name} {event.title}" if name else event.title, tz, now))
    calendar.add_missing_timezones()
    return calendar.to_ical()
