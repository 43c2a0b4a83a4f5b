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


def visits_ics(
    visits: list[tuple[Visit, Company]], content: Content, tz: ZoneInfo, lang: str, *, now: datetime,
) -> bytes:
    cancelling = bool(visits) and all(visit.status == "cancelled" for visit, _ in visits)
    calendar = _calendar("CANCEL" if cancelling else "REQUEST")
    say = Say(content, lang, tz)
    name = _programme_name(content, lang)
    for visit, company in visits:
        entry = CalendarEvent()
        entry.add("uid", f"visit-{visit.id}@{UID_DOMAIN}")
        entry.add("sequence", visit.revision)
        entry.add("dtstamp", now)
        entry.add("dtstart", visit.starts_at.astimezone(tz))
        entry.add("dtend", (visit.starts_at + timedelta(minutes=visit.duration_minutes)).astimezone(tz))
        title = visit_title(say, visit.number)
        entry.add("summary", f"{name} {title} ({company.name})" if name else f"{title} ({company.name})")
        if visit.place:
            entry.add("location", visit.place)
            if visit.mode == "online":
                entry.add("url", visit.place)
        entry.add("description", "\n".join(visit_lines(say, visit, company=company.name)[1:]))
        entry.add("status", "CANCELLED" if visit.status == "cancelled" else "CONFIRMED")
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def event_ics(event: Event, content: Content, tz: ZoneInfo, lang: str, *, now: datetime) -> bytes:
    calendar = _calendar("CANCEL" if event.status == "cancelled" else "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", f"event-{event.id}@{UID_DOMAIN}")
    entry.add("sequence", event.revision)
    entry.add("dtstamp", now)
    entry.add("dtstart", event.starts_at.astimezone(tz))
    entry.add("dtend", (event.starts_at + timedelta(minutes=event.duration_minutes)).astimezone(tz))
    name = _programme_name(content, lang)
    entry.add("summary", f"{name} {event.title}" if name else event.title)
    if event.place:
        entry.add("location", event.place)
    entry.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
