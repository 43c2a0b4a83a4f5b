"""Issue 17 point 8: the first reply to a filed report or a quick-list leaf fits one phone screen;
the checklist, the contacts and the details are one button away, and a button names its incident.

Line counts are of the console's rendering (the longest: buttons are numbered lines there), over
every category and every leaf of the content in both languages, so a longer playbook or leaf fails."""

from __future__ import annotations

import io
import re

import pytest

from bot.app import App
from bot.content.loader import Content, load_content
from bot.engine.brief import FIRST_STEPS, PHONE_LINES
from bot.engine.messages import Outbound
from bot.runtime.core import Runtime
from bot.platforms.console import ConsoleSender, run_console
from bot.store import repo
from tests.conftest import CONTENT_DIR, Clock, Convo, add_company
from tests.fakes.telegram_api import FakeTelegramAPI, telegram_api
from tests.test_incident import HOLIDAY, incidents, member
from tests.test_telegram_buttons import Chat, app, application, chat

__all__ = ["app", "application", "chat", "telegram_api"]  # fixtures, used by name

# Slack: tests/test_slack_serve.py presses 「連絡先」 then 「詳しく答える」 on one filing message.
CONTENT = load_content(CONTENT_DIR)
assert CONTENT.response.incident is not None
CATEGORIES = [o.value for o in CONTENT.response.incident.form.sections[0].items[0].options or ()]  # type: ignore[union-attr]
LEAVES = [node.id for node in CONTENT.response.triage.nodes.values() if node.outcome is not None]  # type: ignore[union-attr]


def console_lines(runtime: Runtime, replies: list[Outbound]) -> int:
    """How many lines the console prints for these replies (text, numbered buttons, press hint)."""
    sender = ConsoleSender(runtime, io.StringIO())
    return sum(len(sender.show(reply).split("\n")) for reply in replies)


async def file_report(convo: Convo, category: str, command: str = "/incident") -> list[Outbound]:
    await convo.send(command)
    await convo.press(category)
    await convo.send("skip")  # what happened: optional
    await convo.press("partial")
    return await convo.press("no")


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("when", ["open", "closed"])
@pytest.mark.parametrize("category", CATEGORIES)
async def test_the_filing_reply_fits_a_phone_screen(runtime: Runtime, clock: Clock, content: Content, category: str, when: str, lang: str) -> None:
    if when == "closed":
        clock.now = HOLIDAY
    tanaka = await member(runtime, "tanaka")
    await tanaka.send(f"/lang {lang}")
    replies = await file_report(tanaka, category)
    assert console_lines(runtime, replies) <= PHONE_LINES, "\n".join(r.text for r in replies)
    [filed] = replies
    [incident] = await incidents(runtime)
    assert incident.number in filed.text
    levels = {lvl.id: lvl.label.get(lang) for lvl in content.response.incident.levels}  # type: ignore[union-attr]
    assert levels[incident.severity] in filed.text
    playbook = content.response.playbooks.get(incident.playbook_id or "")
    labels = [c.label for c in filed.options]
    book = content.book
    expected = [book.say(f"brief.button_{p}", lang) for p in ("checklist", "contacts", "details")]
    if playbook is None:
        assert labels == expected[1:]
        return
    assert labels == expected
    urgent = [s for s in playbook.steps if s.urgent][:FIRST_STEPS]
    assert len(urgent) == FIRST_STEPS  # every playbook marks at least three: none is topped up here
    shown = [m.group(1) for m in re.finditer(r"^\d+\. (.*)$", filed.text, re.MULTILINE)]
    assert shown == [s.text.get(lang) for s in urgent]
    others = [s for s in playbook.steps if s not in urgent]
    assert not any(s.text.get(lang) in filed.text for s in others)  # the rest is one button away


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("leaf", LEAVES)
async def test_a_leaf_reply_fits_a_phone_screen(runtime: Runtime, content: Content, leaf: str, lang: str) -> None:
    """As the intake shows it to a registered person (the longest way: the offer to report comes
    with it, and a clear emergency in free text is preceded by one more line)."""
    registered = await member(runtime, "tanaka")
    await registered.send(f"/lang {lang}")
    node = content.response.triage.nodes[leaf]  # type: ignore[union-attr]
    assert node.outcome is not None
    replies = await registered.send("", choice=f"leaf:{leaf}", reply_to="intake:pick")
    first = replies[0]
    if node.outcome.urgent:
        replies = [Outbound(content.book.say("intake.urgent", lang)), *replies]
    assert console_lines(runtime, replies) <= PHONE_LINES, "\n".join(r.text for r in replies)
    steps = node.outcome.first_steps
    assert all(s.get(lang) in first.text for s in steps[:FIRST_STEPS])
    assert not any(s.get(lang) in first.text for s in steps[FIRST_STEPS:])
    if len(steps) > FIRST_STEPS:
        await registered.send("", choice="show:checklist", reply_to=first.question_ref)
        assert all(s.get(lang) in registered.text for s in steps)
    await registered.send("", choice="show:contacts", reply_to=first.question_ref)
    contacts = {c.id: c for c in content.contacts.contacts}  # type: ignore[union-attr]
    assert all(contacts[c].name.get(lang) in registered.text for c in node.outcome.contacts)


async def test_an_old_button_shows_its_own_incident(runtime: Runtime, clock: Clock, content: Content) -> None:
    tanaka = await member(runtime, "tanaka")
    [first] = await file_report(tanaka, "malware")
    clock.advance(minutes=5)
    [second] = await file_report(tanaka, "phishing", "/incident new")
    assert "INC-2026-0002" in second.text
    await tanaka.send("", choice="show:checklist", reply_to=first.question_ref)  # the first message's button
    assert "INC-2026-0001" in tanaka.text and "INC-2026-0002" not in tanaka.text
    assert content.response.playbooks["malware"].title.ja in tanaka.text
    await tanaka.send("", choice="show:contacts", reply_to=second.question_ref)
    assert "INC-2026-0002" in tanaka.text
    await tanaka.send("", choice="show:details", reply_to=first.question_ref)
    tanaka.expect("noticed_on")  # the first report's details, in its own conversation
    [one, _] = await incidents(runtime)
    async with runtime.sessions() as session:
        person = await repo.person_by_platform(session, "console", "tanaka")
        assert person is not None
        active = await repo.active_conversation(session, person.id)
    assert active is not None and active.id == one.conversation_id


@pytest.mark.parametrize("part", ["checklist", "contacts", "details"])
async def test_a_forged_press_from_another_company_is_answered_as_a_missing_one(runtime: Runtime, part: str) -> None:
    a = await member(runtime, "lead_a", company="A社")
    [filed] = await file_report(a, "ransomware")
    outsider = await member(runtime, "lead_b", company="B社")
    forged = await outsider.send("", choice=f"show:{part}", reply_to=filed.question_ref)
    missing = await outsider.send("", choice=f"show:{part}", reply_to="inc:99999")
    assert [(r.kind, r.text) for r in forged] == [(r.kind, r.text) for r in missing]
    assert forged[0].kind == "error" and "INC-2026-0001" not in forged[0].text
    typed = await outsider.send(f"/incident {part} 1")
    assert typed[0].kind == "error" and "INC-2026-0001" not in outsider.text


async def test_details_are_for_the_reporter_and_said_to_be_done_once_answered(runtime: Runtime) -> None:
    reporter = await member(runtime, "suzuki", role="member")
    [filed] = await file_report(reporter, "lost_device")
    lead = await member(runtime, "lead1")
    await lead.send("/incident details 1")
    assert lead.replies[0].kind == "error" and "INC-2026-0001" in lead.text  # may read it, not answer it
    await reporter.press("show:details")
    for _ in range(30):
        question = reporter.question
        if question is None or question.lasting:
            break
        if question.options:
            await reporter.press(question.options[-1].value)
        else:
            await reporter.send("スキップ")
    await reporter.send("", choice="show:details", reply_to=filed.question_ref)
    assert reporter.replies[0].kind == "text" and "/incident show INC-2026-0001" in reporter.text


async def test_buttons_on_the_console(runtime: Runtime, content: Content) -> None:
    code = await add_company(runtime, "株式会社サンプル", "csirt")
    out = io.StringIO()
    lines = f"/start {code}\n/incident\n1\nskip\n2\n3\n/press 2\n/incident details 1\n"
    await run_console(runtime, "tanaka", stdin=io.StringIO(lines), stdout=out, background=False)
    text = out.getvalue()
    book = content.book
    for n, part in enumerate(("checklist", "contacts", "details"), 1):
        assert f"  {n}. {book.say(f'brief.button_{part}', 'ja')}" in text
    assert book.say("console.press_hint", "ja") in text
    contacts = text.split(book.say("console.press_hint", "ja"))[-1]
    assert "【相談・届出先】" in contacts and "JPCERT/CC" in contacts  # /press 2: the contacts
    assert content.response.incident.form.sections[1].items[0].text.ja in text  # type: ignore[union-attr]


async def test_buttons_on_telegram_stay_after_a_press(app: App, chat: Chat, telegram_api: FakeTelegramAPI) -> None:
    code = await add_company(app.runtime, "株式会社サンプル", "csirt")
    await chat.send(f"/start {code}")
    await chat.send("/incident")
    await chat.send("1")
    sent = await chat.send("skip")
    sent = await chat.press(next(c for c in sent if c.buttons), "一部の業務に影響がある")
    sent = await chat.press(next(c for c in sent if c.buttons), "広がっていない")
    filed = next(c for c in sent if "INC-2026-0001" in c.text)
    book = app.content.book
    assert [b["text"] for b in filed.buttons] == [book.say(f"brief.button_{p}", "ja") for p in ("checklist", "contacts", "details")]
    assert len(filed.text.splitlines()) <= PHONE_LINES
    checklist = await chat.press(filed, book.say("brief.button_checklist", "ja"))
    assert any("初動チェックリスト" in c.text for c in checklist)
    contacts = await chat.press(filed, book.say("brief.button_contacts", "ja"))  # the same message, again
    assert any("JPCERT/CC" in c.text for c in contacts)
    details = await chat.press(filed, book.say("brief.button_details", "ja"))
    assert any("いつ気づきましたか" in c.text for c in details)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_parts_behind_the_buttons_split_between_items_on_telegram(content: Content, lang: str) -> None:
    """The long part (every destination of a leaf, in full) is where Telegram's limit bites. Cut
    here just above the longest destination (so cuts happen), each part starts at an item's first
    line: a destination is never torn from its phone number."""
    from datetime import date

    from bot.engine.render import Speaker
    from bot.engine.triage import TriageView, render_contact, render_leaf_part
    from bot.platforms.telegram.replies import MAX_TEXT, split_text

    sp = Speaker(lang, content.book, content.words, date(2026, 11, 24))
    contacts = {c.id: c for c in content.contacts.contacts}  # type: ignore[union-attr]
    view = TriageView(contacts, registered=True, desk_open=False, desk_contact="programme_desk")
    longest = max(len(render_contact(c, sp, desk_closed=True)) for c in contacts.values())
    limit = longest + 80  # a title line and a header fit beside it
    assert limit < MAX_TEXT  # so the real limit never has to cut inside one either
    cuts = 0
    for leaf in LEAVES:
        outcome = content.response.triage.nodes[leaf].outcome  # type: ignore[union-attr]
        assert outcome is not None
        text = render_leaf_part(outcome, "contacts", sp, view).text
        parts = split_text(text, limit)
        cuts += len(parts) - 1
        assert all(not part[:1].isspace() for part in parts), leaf
        assert "\n".join(parts).replace("\n", "") == text.replace("\n", "")  # nothing lost
    assert cuts > 0  # the test cut something
