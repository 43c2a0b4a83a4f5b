"""A CLI that guards its user: `notice send` previews and asks, `visit add|move` ask about weekend,
holiday, night and double-booked experts; `--yes` skips the question, and without a terminal to
ask on the command stops unless --yes was given. Times typed the Japanese way are read."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.content.loader import Content
from scheduler.errors import ProgrammeError
from scheduler.localtime import parse_local

TOKYO = ZoneInfo("Asia/Tokyo")
URL = "https://meet.example.jp/abc"


@pytest.fixture
def on_terminal(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run `helpdesk` with a pseudo-terminal as its standard input and type `answer` into it."""

    def run(*args: str, answer: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        leader, follower = pty.openpty()
        try:
            child = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", *args], stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, encoding="utf-8", cwd=tmp_path,
                env={**os.environ, "HELPDESK_DATABASE_URL": database_url, **(env or {})},
            )
            os.close(follower)
            os.write(leader, answer.encode())
            out, err = child.communicate(timeout=60)
        finally:
            os.close(leader)
        return subprocess.CompletedProcess(child.args, child.returncode, out, err)

    return run


def a_company_with_a_lead(run_cli, name: str = "A社", lead: str = "sato") -> None:  # type: ignore[no-untyped-def]
    added = run_cli("company", "add", name, "--course", "csirt")
    assert added.returncode == 0, added.stderr
    code = added.stdout.strip().splitlines()[-1]
    assert run_cli("console", "--as", lead, stdin=f"/start {code}\n").returncode == 0


def test_notice_send_without_a_terminal_needs_yes(run_cli) -> None:  # type: ignore[no-untyped-def]
    a_company_with_a_lead(run_cli)
    refused = run_cli("notice", "send", "--to", "all", "--text", "説明会のお知らせ")
    assert refused.returncode == 2
    assert "--yes" in refused.stderr and "何も変更していません" in refused.stderr
    assert "1人" in refused.stderr and "説明会のお知らせ" in refused.stderr  # the preview came first
    english = run_cli("notice", "send", "--to", "all", "--text", "hello", env={"HELPDESK_LANG": "en"})
    assert english.returncode == 2 and "add --yes to skip it" in english.stderr
    assert run_cli("notice", "list").stdout.strip() == "no notices"
    sent = run_cli("notice", "send", "--to", "all", "--text", "説明会のお知らせ", "--yes")
    assert sent.returncode == 0 and sent.stdout.startswith("notice 1 queued for 1 recipient(s)"), sent.stderr


def test_notice_send_previews_then_asks_on_a_terminal(run_cli, on_terminal) -> None:  # type: ignore[no-untyped-def]
    a_company_with_a_lead(run_cli)
    declined = on_terminal("notice", "send", "--to", "company:A社", "--text", "12月の会場は新宿です", answer="n\n")
    assert declined.returncode == 1, declined.stderr
    preview = declined.stderr
    assert "宛先 company:A社、1人" in preview and "最初の宛先: sato" in preview and "12月の会場は新宿です" in preview
    assert "送信しますか" in declined.stdout and "送信を取りやめました" in declined.stderr
    assert run_cli("notice", "list").stdout.strip() == "no notices"
    accepted = on_terminal("notice", "send", "--to", "company:A社", "--text", "12月の会場は新宿です", answer="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert "notice 1 queued for 1 recipient(s)" in accepted.stdout


def test_visit_add_asks_about_weekends_holidays_and_nights(run_cli) -> None:  # type: ignore[no-untyped-def]
    a_company_with_a_lead(run_cli)
    base = ("visit", "add", "A社", "--no", "1", "--mode", "online", "--place", URL, "--quiet")
    sunday_night = run_cli(*base, "--at", "2031-03-09 03:00")
    assert sunday_night.returncode == 2
    assert "週末" in sunday_night.stderr and "通常の訪問時間（08:00〜20:00）の外" in sunday_night.stderr
    holiday = run_cli(*base, "--at", "2031-03-21 14:00", env={"HELPDESK_LANG": "en"})
    assert holiday.returncode == 2 and "public holiday (春分の日)" in holiday.stderr and "weekend" not in holiday.stderr
    assert run_cli("visit", "list").stdout.strip() == "no visits"
    weekday = run_cli(*base, "--at", "2031-03-06 14:00")  # a Thursday afternoon: nothing to ask
    assert weekday.returncode == 0 and weekday.stderr == "", weekday.stderr
    moved = run_cli("visit", "move", "A社", "--no", "1", "--at", "2031-03-08 10:00")
    assert moved.returncode == 2 and "週末" in moved.stderr
    moved = run_cli("visit", "move", "A社", "--no", "1", "--at", "2031-03-08 10:00", "--yes")
    assert moved.returncode == 0 and "2031-03-08 10:00" in moved.stdout, moved.stderr


def test_an_expert_booked_elsewhere_within_two_hours_is_asked_about(run_cli, on_terminal) -> None:  # type: ignore[no-untyped-def]
    a_company_with_a_lead(run_cli, "A社", "sato")
    a_company_with_a_lead(run_cli, "B社", "kato")
    first = run_cli("visit", "add", "A社", "--no", "1", "--at", "2031-03-06 14:00", "--mode", "online", "--place", URL,
                    "--expert", "山田 太郎", "--quiet")
    assert first.returncode == 0, first.stderr
    clash = ("visit", "add", "B社", "--no", "1", "--at", "2031-03-06 15:30", "--mode", "online", "--place", URL,
             "--expert", "山田　太郎", "--quiet")  # the same name with a full-width space
    declined = on_terminal(*clash, answer="n\n")
    assert declined.returncode == 1 and "A社 の第1回訪問" in declined.stderr, declined.stderr
    assert "B社" not in run_cli("visit", "list").stdout
    accepted = on_terminal(*clash, answer="y\n")
    assert accepted.returncode == 0, accepted.stderr
    later = run_cli("visit", "add", "B社", "--no", "2", "--at", "2031-03-06 18:00", "--mode", "online", "--place", URL,
                    "--expert", "山田 太郎", "--quiet")
    assert later.returncode == 0 and later.stderr == "", later.stderr  # 2 h 30 after the second: free


@pytest.mark.parametrize(("typed", "expected"), [
    ("明日 14時", "2026-12-02 14:00"),
    ("明日14時", "2026-12-02 14:00"),
    ("12/3 14:00", "2026-12-03 14:00"),
    ("12月3日 14時", "2026-12-03 14:00"),
    ("12月3日 14時30分", "2026-12-03 14:30"),
    ("１２／３　１４時半", "2026-12-03 14:30"),
    ("2026-12-03 14:00", "2026-12-03 14:00"),
])
def test_times_typed_the_japanese_way(content: Content, typed: str, expected: str) -> None:
    read = parse_local(typed, TOKYO, words=content.words, today=date(2026, 12, 1))
    assert read.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") == expected


@pytest.mark.parametrize("typed", ["12/3 25時", "14時", "明日", "12/3 14時99分"])
def test_times_that_cannot_be_read_are_refused(content: Content, typed: str) -> None:
    with pytest.raises(ProgrammeError):
        parse_local(typed, TOKYO, words=content.words, today=date(2026, 12, 1))


def test_the_cli_reads_tomorrow_at_14(run_cli) -> None:  # type: ignore[no-untyped-def]
    a_company_with_a_lead(run_cli)
    added = run_cli("visit", "add", "A社", "--no", "1", "--at", "明日 14時", "--mode", "online", "--place", URL,
                    "--quiet", "--yes")
    assert added.returncode == 0, added.stderr
    tomorrow = datetime.now(TOKYO).date().toordinal() + 1
    assert f"{date.fromordinal(tomorrow):%Y-%m-%d} 14:00" in added.stdout


def test_lists_on_a_terminal_have_a_header_row(run_cli, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a_company_with_a_lead(run_cli)
    assert run_cli("visit", "add", "A社", "--no", "1", "--at", "2031-03-06 14:00", "--mode", "online", "--place", URL,
                   "--quiet").returncode == 0
    leader, follower = pty.openpty()
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "visit", "list"], stdin=follower, stdout=follower, stderr=subprocess.PIPE,
            cwd=tmp_path, env={**os.environ, "HELPDESK_DATABASE_URL": database_url, "COLUMNS": "200"},
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        child.wait(timeout=60)
    finally:
        os.close(leader)
    text = shown.decode("utf-8")
    assert child.returncode == 0, text
    header = next(line for line in text.splitlines() if "企業" in line)
    assert "日時" in header and "専門家" in header, text
    assert "2031-03-06 14:00" in text and "\t" not in text
    piped = run_cli("visit", "list")  # to a pipe: the tab-separated lines scripts read, no header
    assert piped.stdout.split("\t")[:3] == ["1", "A社", "1"] and "企業" not in piped.stdout
