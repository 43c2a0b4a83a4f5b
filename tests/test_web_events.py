"""Events on the web desk: the coming events with their answers, an event's attendees and its
waiting list in order, the attendees as a CSV whose cells are never formulas. The secretariat
only: a lead or an expert gets the same 404 as a missing event."""

from __future__ import annotations

import csv
import io
from typing import AsyncIterator

import pytest

from bot.runtime.core import Runtime
from bot.store import repo
from tests.calendar_setup import person
from tests.conftest import Clock
from tests.test_events import add, people, rsvp
from tests.web_setup import Browser, audit_rows, desk_app, open_browser


@pytest.fixture
async def browser(runtime: Runtime, database_url: str, clock: Clock) -> AsyncIterator[Browser]:
    await people(runtime)
    event = await add(runtime, title="セキュリティセミナー（年末）")
    for user, answer in (("a1", "yes"), ("a2", "no"), ("a3", "yes"), ("b1", "yes")):
        await rsvp(runtime, user, event, answer)
    async with runtime.sessions.begin() as session:  # a display name a spreadsheet would run
        found = await repo.person_by_platform(session, "console", "b1")
        assert found is not None
        found.display_name = "=HYPERLINK(\"http://example.invalid\")"
    opened = await open_browser(desk_app(runtime, database_url, clock), clock)
    yield opened
    await opened.client.close()


async def test_events_with_attendees_and_the_waiting_list(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    listing = await (await browser.get("/events")).text()
    assert "セキュリティセミナー（年末）" in listing and "<td>2/2</td><td>1</td><td>1</td>" in listing
    page = await browser.get("/events/1")
    html = await page.text()
    assert page.status == 200 and "参加（2）" in html and "キャンセル待ち（1）" in html and "不参加（1）" in html
    waiting = html[html.index('id="rsvp-waitlist"'):html.index("</table>", html.index('id="rsvp-waitlist"'))]
    assert "<td>1</td>" in waiting and "console:b1" in waiting and "B社" in waiting
    attending = html[html.index('id="rsvp-yes"'):html.index("</table>", html.index('id="rsvp-yes"'))]
    assert attending.index("console:a1") < attending.index("console:a3") and "console:a2" not in attending
    assert (await browser.get("/events/99")).status == 404
    assert (await browser.get("/events/abc")).status == 404


async def test_the_attendees_csv_is_formula_safe(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    response = await browser.get("/events/1/attendees.csv")
    assert response.status == 200 and response.content_type == "text/csv"
    assert "event-1-attendees.csv" in response.headers["Content-Disposition"]
    body = await response.read()
    assert body.startswith("\ufeff".encode())  # Excel reads the Japanese as UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["answer", "name", "company", "account", "answered"]
    assert [(r[0], r[3]) for r in rows[1:]] == [("yes", "console:a1"), ("yes", "console:a3"), ("waitlist", "console:b1"), ("no", "console:a2")]
    assert rows[3][1] == "'=HYPERLINK(\"http://example.invalid\")"  # text, not a formula
    exports = [e for e in await audit_rows(browser.app, "manage_events") if (e.detail or {}).get("format") == "csv"]
    assert len(exports) == 1 and exports[0].allowed and exports[0].actor_label == "web:console:jimu"


async def test_a_lead_or_an_expert_gets_the_one_404(browser: Browser, runtime: Runtime) -> None:
    for who in (await person(runtime, "a1", role="lead", company="A社"), await person(runtime, "suzuki", role="expert")):
        await browser.sign_in(who)
        for path in ("/events", "/events/1", "/events/1/attendees.csv", "/events/99"):
            response = await browser.get(path)
            assert response.status == 404 and "console:b1" not in await response.text(), path
    refusals = await audit_rows(browser.app, "manage_events")
    assert len(refusals) == 8 and not any(e.allowed for e in refusals)
