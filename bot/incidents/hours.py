"""Is the programme desk open? Weekdays and hours from content, Japanese public holidays from jpholiday."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday

from bot.content.models import DeskHours

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _is_open_day(day: date, desk: DeskHours) -> bool:
    if _WEEKDAYS[day.weekday()] not in desk.weekdays:
        return False
    if desk.closed_on_public_holidays and jpholiday.is_holiday(day):
        return False
    return day.isoformat() not in desk.closed_dates


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def desk_open(now: datetime, desk: DeskHours, tz: ZoneInfo) -> bool:
    local = now.astimezone(tz)
    return _is_open_day(local.date(), desk) and _clock(desk.opens) <= local.time() < _clock(desk.closes)


def after_desk_hours(start: datetime, hours: float, desk: DeskHours, tz: ZoneInfo) -> datetime:
    """The moment `hours` of the desk's opening hours have passed since `start` (a Friday 16:00
    report plus 4 desk hours is Monday 12:00 when the desk opens 9:00-17:00)."""
    left = timedelta(hours=hours)
    cursor = start.astimezone(tz)
    for _ in range(2 * 366):
        day = cursor.date()
        if _is_open_day(day, desk):
            begin = max(cursor, datetime.combine(day, _clock(desk.opens), tzinfo=tz))
            closes = datetime.combine(day, _clock(desk.closes), tzinfo=tz)
            if begin < closes:
                if begin + left <= closes:
                    return begin + left
                left -= closes - begin
        cursor = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    raise ValueError("the desk is not open long enough within two years: check content/programme.yaml")


def next_opening(now: datetime, desk: DeskHours, tz: ZoneInfo) -> datetime:
    """When the desk next opens (local time); `now` itself if it is open."""
    local = now.astimezone(tz)
    if desk_open(now, desk, tz):
        return local
    day = local.date()
    if local.time() >= _clock(desk.opens):
        day += timedelta(days=1)
    for _ in range(366):
        if _is_open_day(day, desk):
            return datetime.combine(day, _clock(desk.opens), tzinfo=tz)
        day += timedelta(days=1)
    raise ValueError("the desk never opens within a year: check content/programme.yaml")
