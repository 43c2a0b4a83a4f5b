"""Times as people type and read them (Asia/Tokyo), and as they are stored (UTC).

The CLI and the chat accept "2026-12-03 14:00" (also 2026/12/03, full-width digits, a T between
date and time), and with the lexicon the hearing sheet's date words for the day (12月3日, 12/3, 明日)
followed by a time of day from content/lexicon.yaml time_patterns (14:00, 14時, 14時半).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.content.models import Offset
from bot.engine.i18n import MessageBook
from bot.engine.parse import Reprompt, Words, clean_text, parse_date
from scheduler.errors import ProgrammeError

_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T]+(\d{1,2}):(\d{2})")


def parse_local(text: str, tz: ZoneInfo, *, words: Words | None = None, today: date | None = None) -> datetime:
    """A local date and time -> an aware UTC datetime; ProgrammeError("programme.bad_time") else."""
    cleaned = " ".join(clean_text(text).split())
    match = _ISO.fullmatch(cleaned)
    try:
        if match:
            year, month, day, hour, minute = (int(g) for g in match.groups())
            local = datetime(year, month, day, hour, minute, tzinfo=tz)
        elif words is not None and today is not None:
            day_text, clock = _time_of_day(cleaned, words)
            day_value = parse_date(day_text, words, today=today, not_past=True)
            local = datetime.combine(day_value, clock, tzinfo=tz)
        else:
            raise ValueError(cleaned)
    except (ValueError, Reprompt):
        raise ProgrammeError("programme.bad_time", text=cleaned[:40]) from None
    # A wall time that does not exist or exists twice does not happen in Asia/Tokyo (no DST).
    return local.astimezone(timezone.utc)


def _time_of_day(text: str, words: Words) -> tuple[str, time]:
    """Split "12月3日 14時" into the day's text and the time; ValueError when no time ends it."""
    for pattern in words.time_patterns:
        found = pattern.search(text)
        if found is None or not text[: found.start()].strip():
            continue
        groups = found.groupdict()
        minutes = int(groups["mi"]) if groups.get("mi") else 30 if groups.get("half") else 0
        return text[: found.start()].strip(), time(int(groups["h"]), minutes)
    raise ValueError(text)


def format_local(moment: datetime, tz: ZoneInfo, book: MessageBook, lang: str) -> str:
    local = moment.astimezone(tz)
    weekday = book.say("programme.weekdays", lang).split(",")[local.weekday()]
    return book.say(
        "programme.datetime", lang, y=local.year, m=local.month, d=local.day, wd=weekday,
        hh=f"{local.hour:02d}", mm=f"{local.minute:02d}",
    )


def format_cli(moment: datetime | None, tz: ZoneInfo) -> str:
    """For CLI tables: sortable, the same format the CLI accepts."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "-"


def due_at(start: datetime, offset: Offset | tuple[int, str], tz: ZoneInfo) -> datetime:
    """When a reminder at `offset` before `start` is due (UTC). A (days_before, "HH:MM") pair is the
    hearing nudge's form."""
    if isinstance(offset, Offset) and offset.minutes_before is not None:
        return start - timedelta(minutes=offset.minutes_before)
    days, at = (offset.days_before, offset.at) if isinstance(offset, Offset) else offset
    assert days is not None and at is not None  # the content model guarantees one of the two forms
    hour, minute = (int(part) for part in at.split(":"))
    day = start.astimezone(tz).date() - timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(timezone.utc)


def require_future(moment: datetime, now: datetime, tz: ZoneInfo) -> datetime:
    """A visit, event or scheduled notice in the past is a typo (2025 for 2026), not a wish."""
    if moment <= now:
        raise ProgrammeError("programme.time_past", when=format_cli(moment, tz))
    return moment
