"""The secretariat's overview: the next visit of each company is filled (the first scheduled one
still ahead), and /overview in chat reads the content's labels, not the stored ids."""

from __future__ import annotations

from bot.runtime.core import Runtime
from bot.store.models import Visit
from scheduler.visits import VisitSpec, add_visit, cancel_visit
from tests.calendar_setup import company, jst, person
from tests.conftest import Clock, Convo


async def visit(runtime: Runtime, name: str, number: int, at: str) -> Visit:
    async with runtime.sessions.begin() as session:
        return await add_visit(
            session, runtime.content, runtime.tz, VisitSpec(name, number, jst(at), "online", "https://meet.example.jp/x", None),
            now=runtime.clock(), notify=False,
        )


async def test_chat_overview_shows_the_next_visit_and_labels(runtime: Runtime, clock: Clock) -> None:
    await company(runtime, "A社", "csirt", lead="tanaka")
    await company(runtime, "B社", "it-bcp", lead="yamada")
    await company(runtime, "C社", "it-bcp")
    await person(runtime, "jimu", role="secretariat")
    await visit(runtime, "A社", 2, "2026-12-17 14:00")
    await visit(runtime, "A社", 1, "2026-12-03 14:00")  # added second, but sooner: it is the next one
    await visit(runtime, "B社", 1, "2026-11-25 10:00")  # over by the time the overview is read
    await visit(runtime, "C社", 1, "2026-12-04 10:00")
    async with runtime.sessions.begin() as session:
        await cancel_visit(session, runtime.content, runtime.tz, "C社", 1, now=runtime.clock(), notify=False)
    clock.advance(days=2)

    jimu = Convo(runtime, "jimu")
    await jimu.send("/overview")
    lines = {line.split(" / ")[0].lstrip("・"): line for line in jimu.text.splitlines()[1:]}
    assert "第1回 2026年12月3日（木）14:00" in lines["A社"], lines
    assert "CSIRT 構築コース" in lines["A社"] and "csirt" not in lines["A社"]
    assert "IT-BCP 策定コース" in lines["B社"] and "未開始" in lines["B社"] and "none" not in lines["B社"]
    assert lines["B社"].endswith("/ 未定")  # its only visit is past
    assert lines["C社"].endswith("/ 未定")  # its only visit was cancelled


async def test_chat_overview_in_english_names_severity_labels(runtime: Runtime) -> None:
    await company(runtime, "A社", "csirt", lead="tanaka")
    await person(runtime, "jimu", role="secretariat", language="en")
    await visit(runtime, "A社", 1, "2026-12-03 14:00")
    tanaka = Convo(runtime, "tanaka")
    await tanaka.send("/incident")
    for answer in ["1", "不審なメールが届いた", "3", "3"]:
        await tanaka.send(answer)
    jimu = Convo(runtime, "jimu")
    await jimu.send("/overview")
    line = jimu.text.splitlines()[1]
    assert "CSIRT course" in line and "not started" in line, line
    assert "High 1" in line and "high:1" not in line, line
    assert "visit 1, " in line and "2026" in line, line


def test_cli_overview_csv_has_the_next_visit(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("company", "add", "A社", "--course", "csirt").returncode == 0
    assert run_cli("company", "add", "B社", "--course", "it-bcp").returncode == 0
    added = run_cli("visit", "add", "A社", "--no", "1", "--at", "2031-03-06 14:00", "--mode", "online",
                    "--place", "https://meet.example.jp/x", "--quiet")
    assert added.returncode == 0, added.stderr
    result = run_cli("overview", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = result.stdout.strip().splitlines()
    assert rows[0].endswith(",next_visit")
    assert next(r for r in rows if r.startswith("A社,")).endswith(",no 1 2031-03-06 14:00"), rows
    assert next(r for r in rows if r.startswith("B社,")).endswith(",-"), rows
