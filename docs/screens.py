"""Screenshots of the web desk's main pages for docs/web.md: a throw-away SQLite database with
made-up sample companies, the real app on 127.0.0.1, Debian's chromium through Playwright.

    .venv/bin/python docs/screens.py        # writes docs/web/*.png
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from playwright.async_api import async_playwright

from bot.app import open_app
from bot.config import Settings
from bot.engine.messages import Inbound
from bot.policy import actor_for
from bot.store import repo
from bot.store.models import utcnow
from bot.web.app import make_app
from bot.web.links import sign_in_url
from scheduler.visits import VisitSpec, add_visit

OUT = Path(__file__).resolve().parent / "web"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
# Sample data only: made-up company and person names.
COMPANIES = [("株式会社サンプル製作所", "csirt", "tanaka", ["suzuki"]), ("サンプル商事株式会社", "it-bcp", "yamada", [])]


async def seed(application) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    async with application.sessions.begin() as session:
        jimu = await repo.get_or_create_person(session, "console", "jimu", "事務局 佐藤", "ja", now)
        jimu.role = "secretariat"
        for name, course, lead, members in COMPANIES:
            company = await repo.create_company(session, name, course, now)
            await session.flush()
            for user, role in [(lead, "lead"), *((m, "member") for m in members)]:
                found = await repo.get_or_create_person(session, "console", user, user, "ja", now)
                found.company_id, found.role = company.id, role
    async with application.sessions.begin() as session:
        for number, days in ((1, -7), (2, 9)):
            await add_visit(session, application.content, application.runtime.tz,
                            VisitSpec(COMPANIES[0][0], number, now + timedelta(days=days), "onsite", "本社 会議室", "専門家 高橋"),
                            now=now - timedelta(days=10), notify=False)
    for answer in ["/incident", "1", "取引先から、当社を名乗る不審なメールが届いたと連絡があった", "3", "3"]:
        await application.runtime.handle(Inbound("console", "suzuki", text=answer, display_name="suzuki"))
    for answer in ["/hearing", "50"]:
        await application.runtime.handle(Inbound("console", "tanaka", text=answer, display_name="tanaka"))


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/screens.db", web_base_url=BASE)
        async with open_app(settings, flood_control=False) as application:
            await seed(application)
            runner = web.AppRunner(make_app(application))
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", PORT).start()
            async with application.sessions.begin() as session:
                jimu = await repo.person_by_platform(session, "console", "jimu")
                url = await sign_in_url(session, await actor_for(session, jimu, "docs"), utcnow(), BASE)
            assert url is not None
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                page = await browser.new_page(viewport={"width": 1200, "height": 720})
                await page.goto(url)
                await page.screenshot(path=OUT / "signin.png")
                await page.click("#sign-in")
                await page.wait_for_url("**/companies")
                await page.screenshot(path=OUT / "companies.png", full_page=True)
                await page.click(f"text={COMPANIES[0][0]}")
                await page.screenshot(path=OUT / "company.png", full_page=True)
                await page.goto(BASE + "/incidents/INC-" + str(utcnow().astimezone(application.runtime.tz).year) + "-0001")
                await page.fill("#note", "取引先に注意喚起の連絡を済ませました。送信元ドメインを確認中です。")
                await page.click("#add-note")
                await page.screenshot(path=OUT / "incident.png", full_page=True)
                await page.goto(BASE + "/notices")
                await page.select_option("#audience", "course:csirt")
                await page.fill("#text", "第1回の専門家訪問の前に、ヒアリングシートへのご回答をお願いします。チャットで /hearing と送ると始められます。")
                await page.click("#preview")
                await page.screenshot(path=OUT / "notice-preview.png", full_page=True)
                await page.click("#send")
                await page.wait_for_url("**/notices/*")
                await page.screenshot(path=OUT / "notice-status.png", full_page=True)
                await browser.close()
            await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
