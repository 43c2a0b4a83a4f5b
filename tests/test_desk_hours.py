"""Desk hours from content: weekdays 9:00-17:00 JST, Japanese public holidays closed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.content.models import DeskHours
from bot.incidents.hours import desk_open, next_opening

TOKYO = ZoneInfo("Asia/Tokyo")
DESK = DeskHours(contact="programme_desk", weekdays=["mon", "tue", "wed", "thu", "fri"], opens="09:00", closes="17:00",
                 closed_dates=["2026-12-29"], source="seed:000")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-11-24 10:00", True),   # Tuesday
        ("2026-11-24 08:59", False),  # before opening
        ("2026-11-24 09:00", True),
        ("2026-11-24 16:59", True),
        ("2026-11-24 17:00", False),  # closing time is closed
        ("2026-11-22 10:00", False),  # Sunday
        ("2026-11-28 10:00", False),  # Saturday
        ("2026-11-23 10:00", False),  # 勤労感謝の日, a Monday
        ("2027-01-01 10:00", False),  # 元日
        ("2026-12-29 10:00", False),  # a closed date from content
    ],
)
def test_desk_open(local: str, expected: bool) -> None:
    moment = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=TOKYO)
    assert desk_open(moment, DESK, TOKYO) is expected


def test_the_utc_instant_is_judged_in_tokyo_time() -> None:
    # 2026-11-24 00:30 UTC is 09:30 in Tokyo: open, though it is not yet 9:00 in UTC.
    assert desk_open(datetime.fromisoformat("2026-11-24T00:30:00+00:00"), DESK, TOKYO)


def test_next_opening_skips_weekend_and_holiday() -> None:
    saturday_night = datetime(2026, 11, 21, 22, 0, tzinfo=TOKYO)
    assert next_opening(saturday_night, DESK, TOKYO) == datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)
    friday_morning = datetime(2026, 11, 27, 7, 0, tzinfo=TOKYO)
    assert next_opening(friday_morning, DESK, TOKYO) == datetime(2026, 11, 27, 9, 0, tzinfo=TOKYO)
