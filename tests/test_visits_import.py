"""`helpdesk visit import FILE.csv`: all or nothing, every problem with its line number; Excel's
Shift_JIS and Japanese headers; importing the same file twice; and the visit commands on the CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.runtime.core import Runtime
from bot.store.models import Visit
from scheduler.visit_import import ImportFailed, import_visits
from tests.calendar_setup import company, jst, outbox

GOOD = """company,no,at,mode,place,expert
A社,1,2026-12-03 14:00,onsite,東京都千代田区丸の内1-1,B
A社,2,2026-12-17 14:00,online,https://meet.example.jp/a2,B
B社,1,2026-12-04 10:00,onsite,,
"""


async def companies(runtime: Runtime) -> None:
    await company(runtime, "A社", "csirt", lead="tanaka")
    await company(runtime, "B社", "it-bcp", lead="yamada")


async def run_import(runtime: Runtime, data: bytes, notify: bool = True):  # type: ignore[no-untyped-def]
    async with runtime.sessions.begin() as session:
        return await import_visits(session, runtime.content, runtime.tz, data, now=runtime.clock(), notify=notify)


async def visit_count(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Visit)) or 0)


def problems(raised: pytest.ExceptionInfo[ImportFailed], runtime: Runtime) -> list[str]:
    return [p.render(runtime.content.book, "en") for p in raised.value.problems]


async def test_every_line_becomes_a_visit(runtime: Runtime) -> None:
    await companies(runtime)
    result = await run_import(runtime, GOOD.encode())
    assert (len(result.added), result.unchanged) == (3, 0)
    async with runtime.sessions() as session:
        visits = list(await session.scalars(select(Visit).order_by(Visit.id)))
    assert [(v.number, v.starts_at, v.mode, v.place) for v in visits] == [
        (1, jst("2026-12-03 14:00"), "onsite", "東京都千代田区丸の内1-1"),
        (2, jst("2026-12-17 14:00"), "online", "https://meet.example.jp/a2"),
        (1, jst("2026-12-04 10:00"), "onsite", None),
    ]
    assert {r.chat_id for r in await outbox(runtime, "visit:")} == {"tanaka", "yamada"}


async def test_problems_are_reported_with_their_lines_and_nothing_is_written(runtime: Runtime) -> None:
    await companies(runtime)
    bad = """company,no,at,mode,place,expert
A社,1,2026-12-03 14:00,onsite,丸の内,B
C社,1,2026-12-03 14:00,onsite,,
A社,9,2026-12-03 14:00,onsite,,
A社,3,2026-11-01 14:00,onsite,,
A社,4,2026-12-20 14:00,bike,,
A社,5,2026-12-20 14:00,online,会議室,
A社,1,2026-12-05 14:00,onsite,,

B社,x,2026-12-05 14:00,onsite,,
B社,2,12/40 14:00,onsite,,
B社,3,,onsite,,
"""
    with pytest.raises(ImportFailed) as raised:
        await run_import(runtime, bad.encode())
    assert problems(raised, runtime) == [
        'line 3: There is no company named "C社".',
        "line 4: The visit number must be from 1 to 6.",
        "line 5: 2026-11-01 14:00 is in the past.",
        'line 6: Unknown mode "bike" (use onsite, online).',
        'line 7: For an online visit the place is the meeting URL (https://…), not "会議室".',
        "line 8: visit 1 of A社 is also on line 2",
        'line 10: the visit number "x" is not a number',
        'line 11: Cannot read the time "12/40 14:00". Please write it like 2026-12-03 14:00 (Japan time).',
        "line 12: at is empty",
    ]
    assert await visit_count(runtime) == 0  # line 2 was fine, and is not imported either
    assert await outbox(runtime) == []


async def test_a_file_from_excel_in_shift_jis_with_japanese_headers(runtime: Runtime) -> None:
    await companies(runtime)
    text = "企業名,回,日時,実施方法,場所,専門家\r\nA社,1,2026/12/03 14:00,訪問,東京都千代田区,Ｂ\r\nB社,1,２０２６-１２-０４ １０:００,オンライン,https://meet.example.jp/b1,\r\n"
    result = await run_import(runtime, text.encode("cp932"), notify=False)
    assert len(result.added) == 2 and result.encoding == "shift_jis"
    assert [(v.mode, v.starts_at, v.expert_name) for v in result.added] == [
        ("onsite", jst("2026-12-03 14:00"), "B"), ("online", jst("2026-12-04 10:00"), None),
    ]
    assert await outbox(runtime) == []  # --quiet: the companies are not told yet


async def test_the_same_file_twice_changes_nothing_and_a_clash_is_an_error(runtime: Runtime) -> None:
    await companies(runtime)
    await run_import(runtime, GOOD.encode("utf-8-sig"))
    again = await run_import(runtime, GOOD.encode())
    assert (len(again.added), again.unchanged) == (0, 3)
    clash = GOOD.replace("2026-12-17 14:00", "2026-12-18 14:00")
    with pytest.raises(ImportFailed) as raised:
        await run_import(runtime, clash.encode())
    assert problems(raised, runtime) == [
        "line 3: Visit 2 of A社 is already scheduled at 2026-12-17 14:00 (use visit move to change it)."
    ]


async def test_a_file_without_the_needed_columns(runtime: Runtime) -> None:
    with pytest.raises(ImportFailed) as raised:
        await run_import(runtime, b"company,when\nA,2026-12-03 14:00\n")
    assert problems(raised, runtime) == ["line 1: the header has no column for no, at, mode"]
    with pytest.raises(ImportFailed) as raised:
        await run_import(runtime, b"company,no,at,mode\n")
    assert problems(raised, runtime) == ["line 1: the file has no visit rows"]
    with pytest.raises(ImportFailed) as raised:
        await run_import(runtime, "company,no,at,mode\nA社,1,x,y\n".encode("utf-16"))
    assert problems(raised, runtime) == ["line 1: cannot read the file's encoding (save it as UTF-8 or Shift_JIS)"]


@pytest.mark.slow
def test_the_visit_commands_on_the_cli(run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A child process keeps the real clock: the dates are far ahead so the test does not age. The
    # errors are read in English (HELPDESK_LANG=en; the CLI speaks Japanese by default).
    assert run_cli("company", "add", "A社", "--course", "csirt").returncode == 0
    added = run_cli("visit", "add", "A社", "--no", "1", "--at", "2099-12-03 14:00", "--mode", "onsite", "--place", "丸の内")
    assert added.returncode == 0, added.stderr
    assert "A社 no 1 at 2099-12-03 14:00 (onsite) scheduled" in added.stdout
    clash = run_cli("visit", "add", "A社", "--no", "1", "--at", "2099-12-04 14:00", "--mode", "onsite", env={"HELPDESK_LANG": "en"})
    assert clash.returncode == 2
    assert clash.stderr.strip() == "error: Visit 1 of A社 is already scheduled at 2099-12-03 14:00 (use visit move to change it)."
    moved = run_cli("visit", "move", "A社", "--no", "1", "--at", "2099-12-10 10:00")
    assert "now at 2099-12-10 10:00" in moved.stdout, moved.stderr
    listed = run_cli("visit", "list", "--company", "A社")
    assert listed.stdout.split("\t")[:5] == ["1", "A社", "1", "ヒアリング", "2099-12-10 10:00"]

    (tmp_path / "visits.csv").write_text("company,no,at,mode\nA社,2,2099-12-17 14:00,online\nA社,3,2099-13-01 14:00,onsite\nZ社,4,2100-01-10 10:00,onsite\n", encoding="utf-8")
    failed = run_cli("visit", "import", "visits.csv", env={"HELPDESK_LANG": "en"})
    assert failed.returncode == 2
    assert failed.stderr.splitlines() == [
        'error: line 3: Cannot read the time "2099-13-01 14:00". Please write it like 2026-12-03 14:00 (Japan time).',
        'error: line 4: There is no company named "Z社".',
        "nothing was imported (2 problem(s))",
    ]
    (tmp_path / "visits.csv").write_text("company,no,at,mode\nA社,2,2099-12-17 14:00,online\n", encoding="utf-8")
    imported = run_cli("visit", "import", "visits.csv", "--quiet")
    assert "imported 1 visit(s)" in imported.stdout, imported.stderr
    ics = run_cli("visit", "ics", "A社", "--no", "1")
    assert "UID:visit-1@" in ics.stdout and "SEQUENCE:2" in ics.stdout
    cancelled = run_cli("visit", "cancel", "A社", "--no", "2")
    assert "cancelled" in cancelled.stdout
    jobs = run_cli("scheduler", "jobs")
    assert jobs.stdout.splitlines()[0].startswith("visit:1:r2:nudge\t2099-12-05 10:00")
