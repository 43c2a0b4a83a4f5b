"""The web desk in a real browser: headless Chromium from Debian (/usr/bin/chromium) driven by
Playwright, against the real app on 127.0.0.1. A clerk signs in with a one-time link, reads the
companies table, sends a notice after its preview; a lead of A社 cannot open B社's pages."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest
from playwright.async_api import Browser as Chromium
from playwright.async_api import async_playwright

from bot.runtime.core import Runtime
from tests.calendar_setup import company, outbox, person
from tests.conftest import Clock
from tests.web_setup import Browser, desk_app, link_for, open_browser

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
async def chromium() -> AsyncIterator[Chromium]:
    assert CHROMIUM.exists(), "Debian's chromium is needed (.ci/run installs it: apt-get install chromium)"
    async with async_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        await browser.close()


@pytest.fixture
async def desk(runtime: Runtime, database_url: str, clock: Clock) -> AsyncIterator[Browser]:
    await company(runtime, "A社", "csirt", lead="tanaka", members=("suzuki",))
    await company(runtime, "B社", "it-bcp", lead="yamada")
    opened = await open_browser(desk_app(runtime, database_url, clock), clock)
    yield opened
    await opened.client.close()


async def test_a_clerk_signs_in_reads_companies_and_sends_a_notice(chromium: Chromium, desk: Browser, runtime: Runtime) -> None:
    url = await link_for(desk.app, await person(runtime, "jimu", role="secretariat"), desk.clock, desk.origin)
    assert url is not None
    page = await chromium.new_page()
    await page.goto(url)
    await page.click("#sign-in")
    await page.wait_for_url("**/companies")
    rows = await page.locator("#companies tbody tr").all_inner_texts()
    assert [row.split("\t")[0] for row in rows] == ["A社", "B社"]
    assert "CSIRT 構築コース" in rows[0] and "未開始" in rows[0]

    await page.click("text=お知らせ")
    await page.select_option("#audience", "company:A社")
    await page.fill("#text", "来週の訪問の前に、ヒアリングシートへの回答をお願いします。")
    await page.click("#preview")
    assert "2人" in await page.inner_text("#audience-count")
    assert "tanaka, suzuki" in await page.inner_text("#first-recipients")
    assert await outbox(runtime, "draft:") == []  # the preview sends nothing
    await page.click("#send")
    await page.wait_for_url("**/notices/*")
    counts = await page.inner_text("#counts")
    assert "2" in counts
    assert sorted(q.chat_id for q in await outbox(runtime, "draft:")) == ["suzuki", "tanaka"]


async def test_a_lead_of_a_cannot_open_b(chromium: Chromium, desk: Browser, runtime: Runtime) -> None:
    b = await company(runtime, "B社", "it-bcp")
    url = await link_for(desk.app, await person(runtime, "tanaka", role="lead", company="A社"), desk.clock, desk.origin)
    assert url is not None
    page = await chromium.new_page()
    await page.goto(url)
    await page.click("#sign-in")
    await page.wait_for_url("**/companies")
    assert await page.locator("#companies tbody tr").all_inner_texts() != []
    assert "B社" not in await page.inner_text("#companies")
    for path in (f"/companies/{b.id}", f"/companies/{b.id}/hearing.md", "/companies/9999"):
        response = await page.goto(desk.origin + path)
        assert response is not None and response.status == 404, path
        assert "見つからないか、閲覧する権限がありません" in await page.inner_text("main")
    cookies = await page.context.cookies()
    session = next(c for c in cookies if c["name"] == "helpdesk_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
