"""Notices on the web desk: the preview names the audience count and first recipients and queues
nothing; confirming queues one notice, a second confirmation none; a bad text comes back in the
form; the status page lists each failure with its reason; only the secretariat gets there."""

from __future__ import annotations

from typing import AsyncIterator

import pytest
from sqlalchemy import update

from bot.runtime.core import Runtime
from bot.store.models import OutboxRow
from tests.calendar_setup import company, notices, outbox, person
from tests.conftest import Clock
from tests.web_setup import Browser, audit_rows, desk_app, open_browser


@pytest.fixture
async def browser(runtime: Runtime, database_url: str, clock: Clock) -> AsyncIterator[Browser]:
    await company(runtime, "A社", "csirt", lead="tanaka", members=("suzuki", "sato"))
    await company(runtime, "B社", "it-bcp", lead="yamada")
    opened = await open_browser(desk_app(runtime, database_url, clock), clock)
    yield opened
    await opened.client.close()


async def test_preview_then_confirm_queues_one_notice(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    form = await (await browser.get("/notices")).text()
    assert 'value="course:csirt"' in form and 'value="company:B社"' in form
    preview = await browser.post("/notices/preview", {"audience": "course:csirt", "text": "12月の勉強会のお知らせです。"})
    html = await preview.text()
    assert preview.status == 200 and "3人" in html and "tanaka, suzuki, sato" in html and "12月の勉強会" in html
    assert await notices(runtime, "draft:") == []  # nothing queued by a preview

    sent = await browser.post(_send_path(html))
    assert sent.status == 200 and "/notices/" in str(sent.url)
    assert sorted(q.chat_id for q in await outbox(runtime, "draft:")) == ["sato", "suzuki", "tanaka"]
    again = await browser.post(_send_path(html))  # the back button, pressed again
    assert "送信済み" in await again.text()
    assert len(await notices(runtime, "draft:")) == 1
    outcomes = [(e.detail or {}).get("outcome") for e in await audit_rows(browser.app, "broadcast") if (e.detail or {}).get("outcome")]
    assert outcomes == ["done", "failed"]  # the second press is not recorded as a broadcast


def _send_path(html: str) -> str:
    start = html.index('action="/notices/drafts/') + len('action="')
    return html[start:html.index('"', start)]


async def test_an_empty_text_comes_back_with_what_was_chosen(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    response = await browser.post("/notices/preview", {"audience": "company:B社", "text": "   "})
    html = await response.text()
    assert response.status == 400 and 'id="error"' in html and '<option value="company:B社" selected>' in html
    unknown = await browser.post("/notices/preview", {"audience": "company:C社", "text": "本文はこのまま"})
    assert unknown.status == 400 and "本文はこのまま" in await unknown.text()


async def test_the_status_page_lists_failures_with_their_reasons(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    preview = await (await browser.post("/notices/preview", {"audience": "company:B社", "text": "ご連絡"})).text()
    status = await browser.post(_send_path(preview))
    async with runtime.sessions.begin() as session:
        await session.execute(update(OutboxRow).values(status="failed", last_error="chat not found"))
    page = await (await browser.get(status.url.path)).text()
    assert "yamada (console:yamada)" in page and "chat not found" in page


async def test_a_lead_cannot_reach_notices(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "tanaka", role="lead", company="A社"))
    assert (await browser.get("/notices")).status == 404
    refused = await browser.post("/notices/preview", {"audience": "all", "text": "x"})
    assert refused.status == 404 and await notices(runtime, "draft:") == []
    assert [e.allowed for e in await audit_rows(browser.app, "broadcast")] == [False, False]
