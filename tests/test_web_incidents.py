"""Incidents on the web desk: the list of open reports one may follow, a report's page (an audited
read), a note and a move through the same domain calls as chat (the reporter is told), a bad
note kept in its box; another company's report is the same 404 as a missing one."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

from bot.runtime.core import Runtime
from bot.store.models import Incident
from tests.calendar_setup import company, outbox, person
from tests.conftest import Clock, Convo
from tests.web_setup import Browser, audit_rows, desk_app, open_browser


@pytest.fixture
async def browser(runtime: Runtime, database_url: str, clock: Clock) -> AsyncIterator[Browser]:
    await company(runtime, "A社", "csirt", lead="tanaka", members=("suzuki",))
    await company(runtime, "B社", "it-bcp", lead="yamada")
    for reporter in ("suzuki", "yamada"):
        convo = Convo(runtime, reporter)
        await convo.send("/incident")
        for answer in ["1", "不審なメールが届いた", "3", "3"]:
            await convo.send(answer)
    opened = await open_browser(desk_app(runtime, database_url, clock), clock)
    yield opened
    await opened.client.close()


async def test_the_secretariat_notes_and_moves_a_report(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    listing = await (await browser.get("/incidents")).text()
    assert "INC-2026-0001" in listing and "INC-2026-0002" in listing and "A社" in listing
    page = await browser.get("/incidents/INC-2026-0001")
    assert page.status == 200 and "不審なメール" in await page.text()
    before = len(await outbox(runtime, "incident:"))

    await browser.post("/incidents/INC-2026-0001/note", {"text": "全端末のスキャンを開始しました"})
    moved = await browser.post("/incidents/INC-2026-0001/move", {"status": "in_progress"})
    html = await moved.text()
    assert "全端末のスキャンを開始しました" in html and "対応中" in html
    async with runtime.sessions() as session:
        incident = await session.get(Incident, 1)
    assert incident is not None and incident.status == "in_progress"
    told = (await outbox(runtime, "incident:"))[before:]
    assert {q.chat_id for q in told} == {"suzuki", "tanaka"}  # the reporter and the lead, twice each
    assert len(told) == 4
    reads = await audit_rows(browser.app, "read_incident")
    assert all(e.allowed and e.actor_label == "web:console:jimu" for e in reads) and reads


async def test_a_bad_note_stays_in_its_box(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    await browser.get("/incidents/INC-2026-0001")
    long_note = "あ" * 2001
    response = await browser.post("/incidents/INC-2026-0001/note", {"text": long_note})
    html = await response.text()
    assert response.status == 400 and long_note in html and "2000文字以内" in html
    empty = await browser.post("/incidents/INC-2026-0001/note", {"text": "  "})
    assert empty.status == 400 and "記録する内容を書いてください" in await empty.text()
    bad = await browser.post("/incidents/INC-2026-0001/move", {"status": "solved?"})
    assert bad.status == 400


async def test_a_lead_follows_their_company_only(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "tanaka", role="lead", company="A社"))
    listing = await (await browser.get("/incidents")).text()
    assert "INC-2026-0001" in listing and "INC-2026-0002" not in listing
    other = await browser.get("/incidents/INC-2026-0002")
    missing = await browser.get("/incidents/INC-2026-0099")
    assert other.status == missing.status == 404
    note = await browser.post("/incidents/INC-2026-0002/note", {"text": "覗き見"})
    assert note.status == 404
    moved = await browser.post("/incidents/INC-2026-0001/move", {"status": "contained"})
    assert moved.status == 200 and "収束" in await moved.text()
    refused = [e for e in await audit_rows(browser.app, "read_incident") if not e.allowed]
    assert [e.target for e in refused] == ["INC-2026-0002", "INC-2026-0099", "INC-2026-0002"]
