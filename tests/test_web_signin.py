"""Signing in to the web desk: a one-time link valid 10 minutes, then an HttpOnly SameSite=Strict
session cookie; an expired or reused link, a form without its CSRF token or from another origin
are refused and change nothing; signing out ends the session; all of it is in the audit log."""

from __future__ import annotations

from typing import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.runtime.core import Runtime
from bot.store.models import WebLink, WebSession
from tests.calendar_setup import company, person
from tests.conftest import Clock
from tests.web_setup import Browser, audit_rows, desk_app, link_for, open_browser


@pytest.fixture
async def browser(runtime: Runtime, database_url: str, clock: Clock) -> AsyncIterator[Browser]:
    await company(runtime, "A社", "csirt", lead="tanaka", members=("suzuki",))
    await person(runtime, "jimu", role="secretariat")
    opened = await open_browser(desk_app(runtime, database_url, clock), clock)
    yield opened
    await opened.client.close()


async def who(runtime: Runtime, user: str):  # type: ignore[no-untyped-def]
    return await person(runtime, user, role={"jimu": "secretariat", "tanaka": "lead", "suzuki": "member"}[user],
                        company=None if user == "jimu" else "A社")


async def test_a_link_signs_in_once_with_a_strict_httponly_cookie(browser: Browser, runtime: Runtime) -> None:
    jimu = await who(runtime, "jimu")
    url = await link_for(browser.app, jimu, browser.clock, browser.origin)
    assert url is not None and url.startswith(browser.origin + "/login/")
    token = url.rsplit("/", 1)[1]
    async with browser.app.sessions() as session:
        stored = list(await session.scalars(select(WebLink)))
    assert [row.token_hash for row in stored] != [token] and len(stored) == 1  # a hash, not the token

    opened = await browser.get(f"/login/{token}")  # a chat app's preview: shows a button, spends nothing
    assert opened.status == 200 and "sign-in" in await opened.text()
    response = await browser.client.post("/login", data={"token": token}, headers={"Origin": browser.origin}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/companies"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=28800" in cookie and "Secure" not in cookie
    page = await browser.get("/companies")
    assert page.status == 200 and "A社" in await page.text()

    again = await browser.post("/login", {"token": token}, csrf=False)
    assert again.status == 410 and "すでに使われています" in await again.text()
    entries = await audit_rows(browser.app, "web_sign_in")
    assert [(e.allowed, (e.detail or {}).get("step"), (e.detail or {}).get("reason")) for e in entries] == [
        (True, "link", "web desk role"), (True, "session", "ok"), (False, "session", "used"),
    ]


async def test_an_expired_link_is_refused(browser: Browser, runtime: Runtime) -> None:
    url = await link_for(browser.app, await who(runtime, "jimu"), browser.clock, browser.origin)
    assert url is not None
    browser.clock.advance(minutes=10, seconds=1)
    token = url.rsplit("/", 1)[1]
    assert (await browser.get(f"/login/{token}")).status == 410
    response = await browser.post("/login", {"token": token}, csrf=False)
    assert response.status == 410 and "有効期限" in await response.text()
    assert (await browser.get("/companies")).status == 401


async def test_a_member_gets_no_link(browser: Browser, runtime: Runtime) -> None:
    assert await link_for(browser.app, await who(runtime, "suzuki"), browser.clock, browser.origin) is None
    refused = await audit_rows(browser.app, "web_sign_in")
    assert [(e.allowed, e.actor_label) for e in refused] == [(False, "test:suzuki")]


async def test_without_a_session_every_page_asks_to_sign_in(browser: Browser) -> None:
    for path in ("/", "/companies", "/companies/1"):
        response = await browser.get(path)
        assert response.status == 401 and "/web" in await response.text(), path


async def test_forms_need_their_csrf_token_and_the_desks_origin(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await who(runtime, "jimu"))
    no_token = await browser.post("/logout", csrf=False)
    assert no_token.status == 403 and "確認用の値" in await no_token.text()
    wrong = await browser.post("/logout", {"csrf": "x" * 43})
    assert wrong.status == 403
    elsewhere = await browser.post("/logout", origin="https://evil.example")
    assert elsewhere.status == 403 and "別のサイト" in await elsewhere.text()
    no_origin = await browser.post("/logout", origin="")
    assert no_origin.status == 403
    assert (await browser.get("/companies")).status == 200  # still signed in: nothing happened

    out = await browser.post("/logout")
    assert out.status == 200 and "サインアウトしました" in await out.text()
    assert (await browser.get("/companies")).status == 401
    async with browser.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WebSession)) == 0
    assert [e.allowed for e in await audit_rows(browser.app, "web_sign_out")] == [True]


async def test_a_session_ends_after_8_hours_and_when_the_role_goes(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await who(runtime, "tanaka"))
    browser.clock.advance(hours=7, minutes=59)
    assert (await browser.get("/companies")).status == 200
    await person(runtime, "tanaka", role="member", company="A社")  # no longer the lead
    assert (await browser.get("/companies")).status == 401
    await person(runtime, "tanaka", role="lead", company="A社")
    browser.clock.advance(minutes=2)
    assert (await browser.get("/companies")).status == 401


async def test_the_language_switch_goes_back_to_the_page_and_nowhere_else(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await who(runtime, "jimu"))
    page = await browser.get("/lang/en?next=/companies")
    assert str(page.url).endswith("/companies") and "Companies" in await page.text()
    away = await browser.client.get("/lang/ja?next=//evil.example/x", allow_redirects=False)
    assert away.headers["Location"] == "/"
