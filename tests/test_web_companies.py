"""The companies page and a company's page on the web desk: the secretariat sees every company, a
lead only their own; another company's address answers exactly like a missing page, and the
refusal is in the audit log; the hearing report downloads as Markdown and Excel."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

from bot.runtime.core import Runtime
from bot.store.models import Company
from tests.calendar_setup import company, person
from tests.conftest import Clock, Convo
from tests.web_setup import Browser, audit_rows, desk_app, open_browser


@pytest.fixture
async def browser(runtime: Runtime, database_url: str, clock: Clock) -> AsyncIterator[Browser]:
    opened = await open_browser(desk_app(runtime, database_url, clock), clock)
    yield opened
    await opened.client.close()


def main(html: str) -> str:
    return html[html.index("<main>"):]


async def two_companies(runtime: Runtime) -> tuple[Company, Company]:
    a = await company(runtime, "A社", "csirt", lead="tanaka")
    b = await company(runtime, "B社", "it-bcp", lead="yamada")
    await person(runtime, "jimu", role="secretariat")
    return a, b


async def test_the_secretariat_reads_every_company_in_the_table(browser: Browser, runtime: Runtime) -> None:
    a, b = await two_companies(runtime)
    tanaka = Convo(runtime, "tanaka")
    await tanaka.send("/incident")
    for answer in ["1", "不審なメールが届いた", "3", "3"]:
        await tanaka.send(answer)
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    html = await (await browser.get("/companies")).text()
    assert f'href="/companies/{a.id}"' in html and f'href="/companies/{b.id}"' in html
    assert "CSIRT 構築コース" in html and "IT-BCP 策定コース" in html
    assert '<span class="sev-high">高 1件</span>' in html  # A社's open report, by its label
    english = await (await browser.get("/lang/en?next=/companies")).text()
    assert "CSIRT course" in english and "High 1" in english and "Open incidents" in english


async def test_a_lead_sees_their_company_and_gets_not_found_for_another(browser: Browser, runtime: Runtime) -> None:
    a, b = await two_companies(runtime)
    await browser.sign_in(await person(runtime, "tanaka", role="lead", company="A社"))
    listing = await (await browser.get("/companies")).text()
    assert "A社" in listing and "B社" not in listing
    own = await browser.get(f"/companies/{a.id}")
    assert own.status == 200 and "tanaka" in await own.text()

    other = await browser.get(f"/companies/{b.id}")
    missing = await browser.get("/companies/9999")
    assert other.status == missing.status == 404
    assert main(await other.text()) == main(await missing.text())  # the same page, bar its own address
    download = await browser.get(f"/companies/{b.id}/hearing.md")
    assert download.status == 404 and main(await download.text()) == main(await missing.text())
    refused = [e for e in await audit_rows(browser.app, "read_hearing") if not e.allowed]
    assert [(e.company_id, e.actor_label) for e in refused] == [(b.id, "web:console:tanaka"), (None, "web:console:tanaka")]


async def test_the_hearing_report_downloads_and_is_audited(browser: Browser, runtime: Runtime) -> None:
    a, _ = await two_companies(runtime)
    tanaka = Convo(runtime, "tanaka")
    await tanaka.send("/hearing")
    await tanaka.send("50")  # the company's sheet has an answer: its report can be downloaded
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    page = await (await browser.get(f"/companies/{a.id}")).text()
    assert f"/companies/{a.id}/hearing.xlsx" in page
    md = await browser.get(f"/companies/{a.id}/hearing.md")
    assert md.status == 200 and "A社" in await md.text()
    xlsx = await browser.get(f"/companies/{a.id}/hearing.xlsx")
    assert xlsx.status == 200 and (await xlsx.read())[:2] == b"PK"
    exports = await audit_rows(browser.app, "export_hearing")
    assert [(e.allowed, (e.detail or {}).get("format")) for e in exports] == [(True, "md"), (True, "xlsx")]
