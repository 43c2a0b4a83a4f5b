"""/web in chat: a sign-in link for the secretariat, experts and leads that signs in once; a
member is told the desk is not for them; a group chat never gets a link."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.runtime.core import Runtime
from bot.store.models import WebLink
from tests.calendar_setup import company, person
from tests.conftest import Clock, Convo
from tests.web_setup import audit_rows, desk_app, open_browser

LINK = re.compile(r"http://127\.0\.0\.1:\d+/login/(\S+)")


async def test_web_in_chat_gives_a_lead_a_link_that_signs_in(runtime: Runtime, database_url: str, clock: Clock) -> None:
    await company(runtime, "A社", "csirt", lead="tanaka", members=("suzuki",))
    tanaka = Convo(runtime, "tanaka")
    await tanaka.send("/web")
    found = LINK.search(tanaka.text)
    assert found and "10分間" in tanaka.text, tanaka.text
    browser = await open_browser(desk_app(runtime, database_url, clock), clock)
    try:
        await browser.post("/login", {"token": found.group(1)}, csrf=False)
        page = await browser.get("/companies")
        assert page.status == 200 and "A社" in await page.text()
    finally:
        await browser.client.close()


async def test_a_member_and_a_group_get_no_link(runtime: Runtime, database_url: str, clock: Clock) -> None:
    await company(runtime, "A社", "csirt", lead="tanaka", members=("suzuki",))
    await person(runtime, "jimu", role="secretariat")
    suzuki = Convo(runtime, "suzuki")
    await suzuki.send("/web")
    assert not LINK.search(suzuki.text) and "代表担当者" in suzuki.text
    jimu = Convo(runtime, "jimu")
    await jimu.send("/web", in_group=True, chat_id="group-1")
    assert not LINK.search(jimu.text) and "グループ" in jimu.text
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WebLink)) == 0
    app = desk_app(runtime, database_url, clock)
    assert [e.allowed for e in await audit_rows(app, "web_sign_in")] == [False]


def test_web_login_prints_a_link_for_the_secretariat_only(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("secretariat", "add", "jimu").returncode == 0
    done = run_cli("web", "login", "--as", "jimu", "--port", "8123")
    assert done.returncode == 0 and re.search(r"http://127\.0\.0\.1:8123/login/\S{40,}", done.stdout), done.stdout + done.stderr
    refused = run_cli("web", "login", "--as", "stranger")
    assert refused.returncode == 3 and "login/" not in refused.stdout
