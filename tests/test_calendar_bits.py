"""Small pieces of the calendar: times typed in Japan time, the .ics invitations, the console's
/press for buttons under a notice, and `helpdesk content check` on the calendar's content."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from icalendar import Calendar

from bot.config import PROJECT_ROOT
from bot.content.loader import Content, check_content
from bot.content.yamlio import load_yaml
from bot.runtime.core import Runtime
from bot.platforms.console import run_console
from bot.reports.ics import event_ics, visits_ics
from bot.store.models import Company
from scheduler.errors import ProgrammeError
from scheduler.events import EventSpec, add_event
from scheduler.localtime import format_local, parse_local
from scheduler.reminders import sweep
from scheduler.visits import VisitSpec, add_visit, cancel_visit, move_visit
from tests.calendar_setup import JST, company, jst
from tests.conftest import Clock


@pytest.mark.parametrize(
    "typed", ["2026-12-03 14:00", "2026/12/03 14:00", "２０２６－１２－０３　１４：００", "2026-12-3T14:00", " 2026.12.03  14:00 "],
)
def test_times_are_typed_in_japan_time(typed: str) -> None:
    assert parse_local(typed, JST) == jst("2026-12-03 14:00")


def test_the_chat_also_takes_date_words(content: Content) -> None:
    today = date(2026, 11, 24)
    assert parse_local("12月3日 14:00", JST, words=content.words, today=today) == jst("2026-12-03 14:00")
    assert parse_local("明日 9:30", JST, words=content.words, today=today) == jst("2026-11-25 09:30")


@pytest.mark.parametrize("typed", ["2026-12-03", "14:00", "2026-02-30 10:00", "2026-12-03 25:00", "明日", ""])
def test_a_time_that_cannot_be_read_says_so(typed: str, content: Content) -> None:
    with pytest.raises(ProgrammeError) as raised:
        parse_local(typed, JST, words=content.words, today=date(2026, 11, 24))
    assert raised.value.key == "programme.bad_time"


def test_times_are_shown_in_japan_time(content: Content) -> None:
    moment = jst("2026-12-03 14:00")
    assert format_local(moment, JST, content.book, "ja") == "2026年12月3日（木）14:00"
    assert format_local(moment, JST, content.book, "en") == "Thu 2026-12-03 14:00"


async def test_visits_as_ics_keep_their_uid_and_count_their_changes(runtime: Runtime, clock: Clock) -> None:
    await company(runtime, "A社", "csirt", lead="tanaka")
    async with runtime.sessions.begin() as session:
        visit = await add_visit(session, runtime.content, runtime.tz, VisitSpec("A社", 1, jst("2026-12-03 14:00"), "online", "https://meet.example.jp/x", "B"), now=clock())
        first = Calendar.from_ical(visits_ics([(visit, await session.get(Company, visit.company_id))], runtime.content, runtime.tz, "ja", now=clock()))
        await move_visit(session, runtime.content, runtime.tz, "A社", 1, now=clock(), at=jst("2026-12-04 10:00"))
        moved = Calendar.from_ical(visits_ics([(visit, await session.get(Company, visit.company_id))], runtime.content, runtime.tz, "ja", now=clock()))
        await cancel_visit(session, runtime.content, runtime.tz, "A社", 1, now=clock())
        cancelled = Calendar.from_ical(visits_ics([(visit, await session.get(Company, visit.company_id))], runtime.content, runtime.tz, "ja", now=clock()))
    [a], [b], [c] = (list(cal.walk("VEVENT")) for cal in (first, moved, cancelled))
    assert a["UID"] == b["UID"] == c["UID"]
    assert (a["SEQUENCE"], b["SEQUENCE"], c["SEQUENCE"]) == (1, 2, 3)
    assert a.decoded("DTSTART") == jst("2026-12-03 14:00") and a.decoded("DTSTART").tzinfo.key == "Asia/Tokyo"
    assert a.decoded("DTEND") == jst("2026-12-03 16:00")  # about two hours, from content
    assert b.decoded("DTSTART") == jst("2026-12-04 10:00")
    assert "第1回 ヒアリング" in str(a["SUMMARY"]) and str(a["URL"]) == "https://meet.example.jp/x"
    assert "ヒアリングシート" in str(a["DESCRIPTION"])
    assert (str(c["STATUS"]), str(cancelled["METHOD"])) == ("CANCELLED", "CANCEL")
    assert str(first["METHOD"]) == "REQUEST" and first.walk("VTIMEZONE")


async def test_an_event_as_ics(runtime: Runtime, clock: Clock) -> None:
    async with runtime.sessions.begin() as session:
        event, _ = await add_event(session, runtime.content, runtime.tz, EventSpec("seminar", jst("2026-12-10 15:00"), place="都内会場"), now=clock(), notify=False)
    [entry] = Calendar.from_ical(event_ics(event, runtime.content, runtime.tz, "en", now=clock())).walk("VEVENT")
    assert str(entry["SUMMARY"]).endswith("セキュリティセミナー") and str(entry["LOCATION"]) == "都内会場"
    assert entry.decoded("DTEND") == jst("2026-12-10 17:00")


async def test_the_console_presses_a_reminders_buttons_with_press(runtime: Runtime, clock: Clock) -> None:
    await company(runtime, "A社", "csirt", lead="tanaka")
    async with runtime.sessions.begin() as session:
        await add_visit(session, runtime.content, runtime.tz, VisitSpec("A社", 1, jst("2026-12-03 14:00"), "onsite", "丸の内"), now=clock(), notify=False)
    clock.now = jst("2026-11-30 10:00")
    await sweep(runtime.sessions, runtime.content, runtime.tz, clock())
    out = io.StringIO()
    await run_console(runtime, "tanaka", stdin=io.StringIO("/press 1\n/press 9\n"), stdout=out, background=False)
    text = out.getvalue()
    assert "【リマインド】" in text and "  1. 確認しました" in text and "/press" in text
    assert "確認を記録しました" in text  # /press 1 pressed 確認しました
    # there is no ninth button: the console says which numbers there are, not "no such command"
    assert runtime.content.book.say("console.press_range", "ja", count=2) in text
    assert runtime.content.book.say("router.unknown_command", "ja", command="press") not in text


async def test_press_in_a_new_console_run_says_the_buttons_are_gone(runtime: Runtime, clock: Clock) -> None:
    # Review finding: under a reminder printed by the previous run, /press 2 got 「/press」というコマンドはありません。
    await company(runtime, "A社", "csirt", lead="tanaka")
    out = io.StringIO()
    await run_console(runtime, "tanaka", stdin=io.StringIO("/press 2\n"), stdout=out, background=False)
    book = runtime.content.book
    assert book.say("console.press_none", "ja") in out.getvalue()
    assert book.say("router.unknown_command", "ja", command="press") not in out.getvalue()


async def test_the_console_speaks_english_around_buttons_after_lang_en(runtime: Runtime, clock: Clock) -> None:
    # Review finding: the button hint was always Japanese.
    await company(runtime, "A社", "csirt", lead="tanaka")
    async with runtime.sessions.begin() as session:
        await add_visit(session, runtime.content, runtime.tz, VisitSpec("A社", 1, jst("2026-12-03 14:00"), "onsite", "丸の内"), now=clock(), notify=False)
    out = io.StringIO()
    await run_console(runtime, "tanaka", stdin=io.StringIO("/lang en\n"), stdout=out, background=False)
    clock.now = jst("2026-11-30 10:00")
    await sweep(runtime.sessions, runtime.content, runtime.tz, clock())
    out = io.StringIO()
    await run_console(runtime, "tanaka", stdin=io.StringIO("/press 7\n"), stdout=out, background=False)
    book = runtime.content.book
    text = out.getvalue()
    assert book.say("console.press_hint", "en") in text and book.say("console.press_hint", "ja") not in text
    assert book.say("console.notice", "en") in text


CONTENT = PROJECT_ROOT / "content"


def edited(tmp_path: Path, change) -> list[str]:  # type: ignore[no-untyped-def]
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    path = target / "programme.yaml"
    data = load_yaml(path)
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return [str(issue) for issue in check_content(target)]


def test_content_check_reports_calendar_mistakes(tmp_path: Path) -> None:
    def nudge_to_visit_9(data):  # type: ignore[no-untyped-def]
        data["reminders"]["hearing_nudge"]["visit"] = 9

    assert edited(tmp_path / "a", nudge_to_visit_9) == ["content/programme.yaml: reminders.hearing_nudge.visit: visit 9 is not in visits.plan"]

    def half_an_offset(data):  # type: ignore[no-untyped-def]
        data["reminders"]["visit"][0] = {"id": "d3", "days_before": 3}

    [issue] = edited(tmp_path / "b", half_an_offset)
    assert "reminders.visit[d3]" in issue and "give either days_before and at, or minutes_before" in issue

    def visits_out_of_order(data):  # type: ignore[no-untyped-def]
        data["visits"]["plan"][1]["number"] = 5

    [issue] = edited(tmp_path / "c", visits_out_of_order)
    assert "numbered 1, 2, 3" in issue

    def bad_time(data):  # type: ignore[no-untyped-def]
        data["reminders"]["event"][0]["at"] = "25:00"

    [issue] = edited(tmp_path / "d", bad_time)
    assert "reminders.event[d1].at" in issue
