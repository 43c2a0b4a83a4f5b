"""The Markdown exports show people's text as typed, never as HTML: a company name, a display name,
an answer or an incident note holding <script> or <img onerror> is written as entities."""

from __future__ import annotations

import re

from bot.runtime.core import Runtime
from bot.incidents.export import incident_document
from bot.incidents.export import to_markdown as incident_markdown
from bot.reports import hearing
from bot.reports.markdown import md_text
from bot.store import repo
from tests.conftest import Convo, add_company
from tests.test_incident import short_path

COMPANY = "<script>alert(1)</script>株式会社"
NAME = "<img src=x onerror=alert(2)>"
NOTE = "<iframe src=javascript:alert(3)></iframe> [押して](javascript:alert(4))"
# The only tag the exports write themselves is <br>, for a line break inside a table cell.
TAG = re.compile(r"<(?!br>)[a-zA-Z/!]")


def test_md_text_escapes_markup_and_keeps_the_table() -> None:
    assert md_text("<b>a</b> & b") == "&lt;b&gt;a&lt;/b&gt; &amp; b"
    assert md_text("a|b\r\nc") == "a\\|b<br>c"
    assert md_text("[x](javascript:y)") == "\\[x\\](javascript:y)"
    assert md_text(None) == ""


async def test_hearing_markdown_escapes_html(convo: Convo) -> None:
    code = await add_company(convo.runtime, COMPANY, "csirt")
    someone = convo.as_user(NAME)
    await someone.send(f"/start {code}")
    await someone.send("/hearing")
    await someone.send("50")
    async with convo.runtime.sessions() as session:
        found = await repo.company_by_name(session, COMPANY)
        assert found is not None
        report = await hearing.company_report(session, convo.runtime.content, found, "ja")
    assert report is not None
    rows = [row for _, section in report.sections for row in section]
    rows[1].answer = NOTE
    markdown = hearing.to_markdown(report)
    assert TAG.findall(markdown) == [], markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;株式会社" in markdown
    assert "&lt;img src=x onerror=alert(2)&gt;" in markdown
    assert "\\[押して\\](javascript:alert(4))" in markdown


async def test_incident_markdown_escapes_html(runtime: Runtime) -> None:
    reporter = Convo(runtime, NAME)
    await reporter.send(f"/start {await add_company(runtime, COMPANY, 'csirt')}")
    await short_path(reporter)
    await reporter.send(f"/incident note INC-2026-0001 {NOTE}")
    async with runtime.sessions() as session:
        document = await incident_document(session, runtime.content, "INC-2026-0001", "ja")
    assert document is not None
    markdown = incident_markdown(document)
    assert TAG.findall(markdown) == [], markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;株式会社" in markdown
    assert "&lt;img src=x onerror=alert(2)&gt;" in markdown
    assert "&lt;iframe src=javascript:alert(3)&gt;&lt;/iframe&gt;" in markdown
