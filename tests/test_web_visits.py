"""Visits on the web desk: a week from Monday to Sunday (?week= moves it), a move through the same
domain call and cautions as `helpdesk visit move` (a weekend or a double-booked expert needs a
second press), two clerks moving one visit at once (the second is told, nothing overwritten), and
a CSV import all or nothing with line numbers, Shift_JIS read and said, a 20 MB file refused.
Only the secretariat: a lead or an expert gets the same 404 as a missing page."""

from __future__ import annotations

from typing import AsyncIterator

import pytest
from aiohttp import FormData
from sqlalchemy import func, select

from bot.runtime.core import Runtime
from bot.store.models import Visit
from scheduler.visits import VisitSpec, add_visit
from tests.calendar_setup import company, jst, outbox, person
from tests.conftest import Clock
from tests.web_setup import Browser, audit_rows, desk_app, open_browser


async def book(runtime: Runtime, name: str, number: int, at: str, expert: str | None = "佐藤") -> Visit:
    async with runtime.sessions.begin() as session:
        return await add_visit(session, runtime.content, runtime.tz, VisitSpec(name, number, jst(at), "onsite", "丸の内", expert),
                               now=runtime.clock(), notify=False)


async def visit(runtime: Runtime, visit_id: int) -> Visit:
    async with runtime.sessions() as session:
        found = await session.get(Visit, visit_id)
        assert found is not None
        return found


async def visit_count(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Visit)) or 0)


@pytest.fixture
async def browser(runtime: Runtime, database_url: str, clock: Clock) -> AsyncIterator[Browser]:
    # The clock is Tuesday 2026-11-24 10:00 JST: this week is 11/23 (Mon) to 11/29 (Sun).
    await company(runtime, "A社", "csirt", lead="tanaka")
    await company(runtime, "B社", "it-bcp", lead="yamada")
    await book(runtime, "A社", 1, "2026-11-26 14:00")
    await book(runtime, "B社", 1, "2026-12-03 10:00")
    opened = await open_browser(desk_app(runtime, database_url, clock), clock)
    yield opened
    await opened.client.close()


async def test_a_week_from_monday_to_sunday(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    page = await browser.get("/visits")
    html = await page.text()
    assert page.status == 200 and "2026-11-23〜2026-11-29" in html
    assert "11/23（月）" in html and "11/29（日）" in html and "11/26（木）" in html
    assert "A社" in html and "14:00" in html and "佐藤" in html and "訪問" in html and "B社" not in html
    following = await (await browser.get("/visits?week=2026-12-05")).text()  # any day picks its week
    assert "2026-11-30〜2026-12-06" in following and "B社" in following and "A社" not in following
    bad = await browser.get("/visits?week=next-tuesday")
    assert bad.status == 400 and 'id="error"' in await bad.text() and "A社" in await bad.text()
    english = await (await browser.get("/lang/en?next=/visits")).text()
    assert "Thu 11/26" in english and "Expert visits" in english
    assert all(e.allowed and e.actor_label == "web:console:jimu" for e in await audit_rows(browser.app, "manage_visits"))


async def test_a_weekend_or_a_busy_expert_needs_a_second_press(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    await browser.get("/visits")
    before = await visit(runtime, 1)
    asked = await browser.post("/visits/1/move", {"at": "2026-11-28 14:00", "revision": str(before.revision)})
    html = await asked.text()
    assert asked.status == 200 and "週末" in html and 'name="confirm" value="1"' in html
    assert (await visit(runtime, 1)).starts_at == jst("2026-11-26 14:00")  # not moved yet
    busy = await (await browser.post("/visits/1/move", {"at": "2026-12-03 11:00", "revision": str(before.revision)})).text()
    assert "佐藤" in busy and "B社" in busy and "2時間以内" in busy

    moved = await browser.post("/visits/1/move", {"at": "2026-11-28 14:00", "revision": str(before.revision), "confirm": "1"})
    assert moved.status == 200 and "2026-11-28 14:00" in await moved.text()
    after = await visit(runtime, 1)
    assert after.starts_at == jst("2026-11-28 14:00") and after.revision == before.revision + 1
    assert {q.chat_id for q in await outbox(runtime, f"visit:1:r{after.revision}:")} == {"tanaka"}
    outcomes = [(e.detail or {}).get("outcome") for e in await audit_rows(browser.app, "manage_visits")]
    assert outcomes.count("done") == 1


async def test_the_second_of_two_clerks_is_told(browser: Browser, runtime: Runtime, database_url: str, clock: Clock) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    other = await open_browser(desk_app(runtime, database_url, clock), clock)
    try:
        await other.sign_in(await person(runtime, "kimura", role="secretariat"))
        seen = str((await visit(runtime, 1)).revision)  # both opened the week at this revision
        first = await browser.post("/visits/1/move", {"at": "2026-11-27 10:00", "revision": seen})
        assert first.status == 200
        second = await other.post("/visits/1/move", {"at": "2026-11-27 15:00", "revision": seen})
        html = await second.text()
        assert second.status == 409 and "別の担当者が変更しました" in html and "2026-11-27 10:00" in html
    finally:
        await other.client.close()
    assert (await visit(runtime, 1)).starts_at == jst("2026-11-27 10:00")
    failed = [e for e in await audit_rows(browser.app, "manage_visits") if (e.detail or {}).get("outcome") == "failed"]
    assert len(failed) == 1 and failed[0].actor_label == "web:console:kimura"


async def test_a_bad_time_is_said_and_nothing_moves(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    for typed in ("来年のどこか", "2026-11-01 10:00"):
        response = await browser.post("/visits/1/move", {"at": typed, "revision": "1"})
        assert response.status == 400 and 'id="error"' in await response.text(), typed
    assert (await browser.post("/visits/1/move", {"at": "2026-11-27 10:00"})).status == 400  # no revision
    assert (await browser.post("/visits/99/move", {"at": "2026-11-27 10:00", "revision": "1"})).status == 404
    assert (await visit(runtime, 1)).starts_at == jst("2026-11-26 14:00")


async def upload(browser: Browser, data: bytes, name: str = "visits.csv"):  # type: ignore[no-untyped-def]
    form = FormData()
    form.add_field("csrf", browser.csrf)
    form.add_field("file", data, filename=name, content_type="text/csv")
    return await browser.client.post("/visits/import", data=form, headers={"Origin": browser.origin})


async def test_a_csv_import_all_or_nothing(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    bad = "company,no,at,mode\nA社,2,2026-12-10 10:00,onsite\nC社,1,2026-12-10 10:00,onsite\nA社,2,2026-12-11 10:00,onsite\n"
    refused = await upload(browser, bad.encode())
    html = await refused.text()
    assert refused.status == 400 and [item.split(":")[0] for item in html.split("<li>")[1:]] == ["3行目", "4行目"]
    assert "何も登録していません" in html and "utf-8" in html
    assert await visit_count(runtime) == 2

    text = "企業名,回,日時,実施方法,場所,専門家\r\nA社,2,2026/12/10 14:00,訪問,東京都千代田区,佐藤\r\nB社,2,2026-12-11 10:00,オンライン,https://meet.example.jp/b2,\r\n"
    done = await upload(browser, text.encode("cp932"))
    html = await done.text()
    assert done.status == 200 and "2件の訪問を登録しました" in html and "shift_jis" in html
    assert await visit_count(runtime) == 4
    again = await (await upload(browser, text.encode("cp932"))).text()
    assert "0件の訪問を登録しました（2件" in again
    with_bom = await (await upload(browser, "company,no,at,mode\nA社,3,2026-12-17 10:00,onsite\n".encode("utf-8-sig"))).text()
    assert "utf-8" in with_bom and await visit_count(runtime) == 5
    outcomes = [(e.detail or {}).get("outcome") for e in await audit_rows(browser.app, "manage_visits") if (e.detail or {}).get("step") != "move"]
    assert outcomes.count("failed") == 1 and outcomes.count("done") == 3


async def test_a_20_mb_file_or_none_is_refused_clearly(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    line = "A社,2,2026-12-10 10:00,onsite\n".encode()
    huge = await upload(browser, b"company,no,at,mode\n" + line * (20_000_000 // len(line)))
    assert huge.status == 413 and "大きすぎます" in await huge.text()
    assert await visit_count(runtime) == 2
    empty = await upload(browser, b"")
    assert empty.status == 400 and "CSVファイルを選んで" in await empty.text()
    assert await visit_count(runtime) == 2


async def test_a_lead_or_an_expert_gets_the_one_404(browser: Browser, runtime: Runtime) -> None:
    for who in (await person(runtime, "tanaka", role="lead", company="A社"), await person(runtime, "suzuki", role="expert")):
        await browser.sign_in(who)
        assert (await browser.get("/visits")).status == 404
        assert (await browser.post("/visits/1/move", {"at": "2026-11-27 10:00", "revision": "1", "confirm": "1"})).status == 404
        assert (await upload(browser, "company,no,at,mode\nA社,2,2026-12-10 10:00,onsite\n".encode())).status == 404
        assert "/visits" not in await (await browser.get("/companies")).text()
    assert (await visit(runtime, 1)).starts_at == jst("2026-11-26 14:00") and await visit_count(runtime) == 2
    refusals = await audit_rows(browser.app, "manage_visits")
    assert len(refusals) == 6 and not any(e.allowed for e in refusals)
