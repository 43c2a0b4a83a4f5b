"""The incident short form as a Slack modal: the real slack-bolt app in this process, signed requests
as Slack sends them, and the fake Web API recording views.open, views.update and chat.postMessage.

The modal is opened before anything touches the database, filled by views.update, checked within
the submission's ack, and the submission is filed by the engine exactly as the DM flow files a
report after its fourth answer."""

from __future__ import annotations

from dataclasses import replace

import asyncio
import json
import urllib.parse
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

import pytest
from sqlalchemy import func, select

from bot.content.loader import Content
from bot.engine.messages import Inbound
from bot.runtime.core import Runtime
from bot.platforms.slack.blocks import message, speaker
from bot.store.models import AnswerRow, Conversation, Incident, Notice, OutboxRow, Person, ProcessedEvent
from tests.conftest import Clock, Convo, add_company
from tests.fakes.slack_api import (
    FakeSlackAPI,
    GatedSessions,
    InProcess,
    SlackPerson,
    SlackRequest,
    in_process_bot,  # noqa: F401 - the fixture `bot`
    slack_api,  # noqa: F401 - the fixture
    texts_of,
)

T = TypeVar("T")
SHORT = ("category", "what", "impact", "spreading")  # content/incident.yaml, the short section


async def until(find: Callable[[], T | None], what: str) -> T:
    """Wait (on this loop, where the app runs) until `find()` gives something. The limit only stops
    a hung test; nothing here depends on how long anything takes."""
    for _ in range(2000):
        found = find()
        if found:
            return found
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def register(runtime: Runtime, person: SlackPerson, company: str = "株式会社サンプル", locale: str = "ja-JP") -> None:
    code = await add_company(runtime, company, "csirt")
    replies = await runtime.handle(Inbound("slack", person.user_id, text=f"/start {code}", language=locale))
    assert replies and replies[0].kind != "error", replies


async def count(runtime: Runtime, model: Any, *where: Any) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def question(content: Content, question_id: str) -> Any:
    config = content.response.incident
    assert config is not None
    return next(q for q in config.form.sections[0].items if q.id == question_id)


def label_of(content: Content, question_id: str, value: str, lang: str = "ja") -> str:
    return next(o.label.get(lang) for o in question(content, question_id).options if o.value == value)


def question_text(content: Content, question_id: str) -> str:
    config = content.response.incident
    assert config is not None
    return next(q.text.ja for s in config.form.sections for q in s.items if q.id == question_id)


def fields_of(request: SlackRequest) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(request.body.decode()))


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


async def open_form(bot: InProcess, slack_api: FakeSlackAPI, person: SlackPerson) -> dict[str, Any]:  # noqa: F811
    """The shortcut, then the form as Slack now holds it."""
    mark = slack_api.mark()
    status, _ = await bot.send(person.shortcut("incident_report"))
    assert status == 200
    await bot.settle()
    (update,) = slack_api.since(mark, "views.update")
    assert update.ok, update.response
    return slack_api.views[update.params["view_id"]]


def filled(content: Content, category: str = "ransomware", what: str = "ファイルが開けない <重要>",
           impact: str = "stopped", spreading: str = "yes") -> dict[str, str]:
    return {
        "f:category": label_of(content, "category", category), "f:what": what,
        "f:impact": label_of(content, "impact", impact), "f:spreading": label_of(content, "spreading", spreading),
    }


# --- opening


@pytest.mark.parametrize("way", ["shortcut", "command"])
async def test_the_modal_opens_before_the_database_is_touched_then_gets_the_form(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch, way: str,
) -> None:
    person = SlackPerson()
    await register(runtime, person)
    gated = GatedSessions(runtime.sessions, slack_api)
    monkeypatch.setattr(runtime, "sessions", gated)
    request = person.shortcut("incident_report") if way == "shortcut" else person.command("incident")
    fields = fields_of(request)
    trigger = json.loads(fields["payload"])["trigger_id"] if way == "shortcut" else fields["trigger_id"]

    mark = slack_api.mark()
    try:
        status, acked = await bot.send(request)
        opened = await until(lambda: slack_api.since(mark, "views.open"), "views.open")
        updated_while_closed = slack_api.since(mark, "views.update")
        asked_while_closed = list(gated.asked)
    finally:
        gated.opened.set()  # in any case: a turn stuck at the gate would hold up the teardown
    await bot.settle()

    assert status == 200 and acked == ""  # typed in a channel, and still no "see your DM": the modal is the answer
    (opening,) = opened
    assert opening.ok and opening.params["trigger_id"] == trigger
    assert updated_while_closed == []  # the form needs the database; the modal did not wait for it
    open_at = slack_api.calls.index(opening)
    # Every session the app asked for came after views.open had been answered.
    assert gated.asked and all(asked > open_at for asked in gated.asked), (open_at, gated.asked)
    assert all(asked > open_at for asked in asked_while_closed)

    (update,) = slack_api.since(mark, "views.update")
    assert update.ok, update.response
    view_id, view_hash = opening.response["view"]["id"], opening.response["view"]["hash"]
    assert (update.params["view_id"], update.params["hash"]) == (view_id, view_hash)
    form = update.params["view"]
    fields = inputs(form)
    assert list(fields) == [f"f:{q}" for q in SHORT]
    for question_id in SHORT:
        q = question(content, question_id)
        block = fields[f"f:{question_id}"]
        assert block["label"]["text"] == q.label.ja and block["hint"]["text"] == q.text.ja
        options = block["element"].get("options")
        if q.options:
            assert [(o["value"], o["text"]["text"]) for o in options] == [(o.value, o.label.ja[:75]) for o in q.options]
        else:
            assert block["element"]["type"] == "plain_text_input" and block["element"]["max_length"] == q.max_length
    assert form["submit"]["text"] == content.book.say("slack.modal.submit", "ja")


async def test_the_form_speaks_the_persons_language(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content,  # noqa: F811
) -> None:
    person = SlackPerson("U0ENGLISH1")
    await register(runtime, person, locale="en-US")
    form = await open_form(bot, slack_api, person)
    fields = inputs(form)
    assert fields["f:impact"]["label"]["text"] == question(content, "impact").label.en
    assert [o["text"]["text"] for o in fields["f:spreading"]["element"]["options"]] == [
        o.label.en for o in question(content, "spreading").options
    ]
    assert form["title"]["text"] == content.response.incident.form.title.en  # type: ignore[union-attr]


async def test_someone_not_registered_is_told_in_the_modal_and_nothing_is_written(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content,  # noqa: F811
) -> None:
    person = SlackPerson()
    form = await open_form(bot, slack_api, person)
    assert "submit" not in form and inputs(form) == {}
    assert content.book.say("incident.not_registered", "ja").split("（")[0] in texts_of(form["blocks"])
    assert await count(runtime, Person) == 0 and slack_api.since(0, "chat.postMessage") == []


async def test_a_trigger_slack_refuses_falls_back_to_the_report_in_the_dm(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content,  # noqa: F811
) -> None:
    person = SlackPerson()
    await register(runtime, person)
    slack_api.fail("views.open", error="expired_trigger_id")
    await bot.send(person.shortcut("incident_report"))
    await bot.settle()
    assert slack_api.since(0, "views.update") == []
    (post,) = slack_api.posts(person.user_id)
    assert question(content, "category").text.ja in post.all_text  # the DM flow's first question
    assert post.actions is not None and post.actions["block_id"].endswith(":category")


# --- submitting


@pytest.mark.parametrize("when", ["desk open", "desk closed"])
async def test_a_submitted_form_files_the_report_as_the_dm_flow_does(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content, convo: Convo,  # noqa: F811
    clock: Clock, when: str,
) -> None:
    if when == "desk closed":
        clock.now = datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc)  # a Saturday, 12:00 JST
    person = SlackPerson()
    await register(runtime, person)
    colleague = await add_company(runtime, "株式会社サンプル", "csirt")  # a second lead, on the console
    await convo.send(f"/start {colleague}")
    form = await open_form(bot, slack_api, person)
    mark = slack_api.mark()
    status, ack = await bot.send(person.submit_view(form, filled(content)))
    assert status == 200
    received = json.loads(ack)
    assert received["response_action"] == "update"
    assert content.book.say("slack.modal.received", "ja") in texts_of(received["view"]["blocks"])
    await bot.settle()

    # The same four answers in the DM flow, by the colleague.
    await convo.send("/incident")
    await convo.press("ransomware")
    await convo.send("ファイルが開けない <重要>")
    await convo.press("stopped")
    expected = await convo.press("yes")
    assert "INC-2026-0002" in expected[0].text

    async with runtime.sessions() as session:
        modal, dm = (await session.scalars(select(Incident).order_by(Incident.id))).all()
    assert (modal.number, dm.number) == ("INC-2026-0001", "INC-2026-0002")
    same = ("company_id", "category", "severity", "status", "playbook_id", "contacts", "out_of_hours")
    assert [getattr(modal, f) for f in same] == [getattr(dm, f) for f in same]
    assert modal.out_of_hours is (when == "desk closed")

    # The person's DM shows exactly what the DM flow shows after the fourth answer.
    def as_modal(ref: str | None) -> str | None:  # the buttons name their own incident
        return ref.replace(f"inc:{dm.id}", f"inc:{modal.id}") if ref else ref

    as_filed_by_dm = [
        replace(r, text=r.text.replace("INC-2026-0002", "INC-2026-0001"), question_ref=as_modal(r.question_ref))
        for r in expected
    ]
    posts = slack_api.posts(person.user_id, mark)
    assert [p.blocks for p in posts] == [message(as_filed_by_dm, speaker(content.book, "ja"))["blocks"]]
    if when == "desk closed":
        assert content.book.text("incident.out_of_hours_brief").ja.split("{")[0] in posts[0].all_text

    # The company, its expert and the secretariat are told through the outbox, as for a DM report.
    async with runtime.sessions() as session:
        notices = (await session.scalars(select(Notice).where(Notice.kind == "escalation").order_by(Notice.id))).all()
    assert [n.payload for n in notices] == [
        {"incident": "INC-2026-0001", "reason": "filed"}, {"incident": "INC-2026-0002", "reason": "filed"},
    ]
    async with runtime.sessions() as session:
        told = (await session.execute(select(OutboxRow.notice_id, OutboxRow.platform, OutboxRow.chat_id).order_by(OutboxRow.id))).all()
    assert told == [(notices[0].id, "console", "tanaka"), (notices[1].id, "slack", person.user_id)]  # each the other lead

    # The details continue in the DM after 「詳しく答える」: the next answer belongs to the same report.
    filed = posts[0]
    await bot.send(person.press(slack_api.message(filed.channel, filed.ts), filed.channel, "詳しく答える"))  # type: ignore[arg-type]
    await bot.settle()
    mark = slack_api.mark()
    await bot.send(person.message("今日"))
    await bot.settle()
    (next_question,) = slack_api.posts(person.user_id, mark)
    assert question_text(content, "noticed_how") in next_question.all_text
    async with runtime.sessions() as session:
        keys = (await session.scalars(
            select(AnswerRow.question_key).where(AnswerRow.conversation_id == modal.conversation_id).order_by(AnswerRow.id)
        )).all()
    assert keys == [*SHORT, "noticed_on"]
    assert await count(runtime, Incident) == 2


async def test_a_double_submission_files_one_incident(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content,  # noqa: F811
) -> None:
    person = SlackPerson()
    await register(runtime, person)
    form = await open_form(bot, slack_api, person)
    submission = person.submit_view(form, filled(content))
    mark = slack_api.mark()
    first, second = await asyncio.gather(bot.send(submission), bot.send(submission))  # a double click
    third = await bot.send(submission)  # and Slack sending it once more
    assert {first[0], second[0], third[0]} == {200}
    await bot.settle()
    assert await count(runtime, Incident) == 1
    assert await count(runtime, Conversation, Conversation.flow_id == "incident") == 1
    assert await count(runtime, ProcessedEvent, ProcessedEvent.event_id == f"modal:{form['id']}") == 1
    filed = content.book.say("incident.filed", "ja", number="INC-2026-0001", severity="X").split("（")[0]
    assert len([p for p in slack_api.posts(person.user_id, mark) if filed in p.all_text]) == 1
    assert len(slack_api.posts(person.user_id, mark)) == 1


@pytest.mark.parametrize("problem", ["blank text", "text too long", "an option not offered", "a field left empty"])
async def test_field_errors_come_back_in_the_ack_and_nothing_is_filed(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content, problem: str,  # noqa: F811
) -> None:
    person = SlackPerson()
    await register(runtime, person)
    form = await open_form(bot, slack_api, person)
    answers = filled(content)
    book = content.book
    if problem == "blank text":
        answers["f:what"], block, error = " \u3000 ", "f:what", book.say("reprompt.empty", "ja")
    elif problem == "text too long":
        answers["f:what"], block, error = "あ" * 1001, "f:what", book.say("reprompt.too_long", "ja", max=1000, length=1001)
    elif problem == "a field left empty":
        del answers["f:impact"]
        block, error = "f:impact", book.say("slack.choose", "ja")
    request = person.submit_view(form, answers)
    if problem == "an option not offered":
        payload = json.loads(fields_of(request)["payload"])
        payload["view"]["state"]["values"]["f:category"]["answer"]["selected_option"] = {
            "text": {"type": "plain_text", "text": "Forged"}, "value": "forged_kind",
        }
        request = SlackRequest.interaction(payload)
        block, error = "f:category", book.say("slack.choose", "ja")
    before = [await count(runtime, model) for model in (AnswerRow, Conversation, ProcessedEvent)]
    mark = slack_api.mark()
    status, ack = await bot.send(request)
    await bot.settle()
    assert status == 200
    assert json.loads(ack) == {"response_action": "errors", "errors": {block: error}}
    assert slack_api.since(mark) == []  # nothing posted, the modal stays open with the answers
    assert [await count(runtime, model) for model in (AnswerRow, Conversation, ProcessedEvent)] == before
    assert await count(runtime, Incident) == 0


async def test_a_malformed_submission_is_ignored_with_a_log_line(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    person = SlackPerson()
    await register(runtime, person)
    form = await open_form(bot, slack_api, person)
    values = {"f:what": {"answer": {"type": "plain_text_input", "value": ["社外秘 hunter2"]}}}  # a list, not text
    before = await count(runtime, AnswerRow)
    mark = slack_api.mark()
    status, ack = await bot.send(person.submit_state(form, values))
    await bot.settle()
    assert (status, ack) == (200, "")
    assert "ignored a malformed Slack view_submission payload (view.state.values.f:what.answer.value" in caplog.text
    assert "hunter2" not in caplog.text  # the fields at fault, never what they hold
    assert slack_api.since(mark) == [] and await count(runtime, AnswerRow) == before


# --- the engine's side: a form reaches it as Inbound.form


async def test_the_engine_records_only_the_answers_that_pass_the_flows_checks(
    runtime: Runtime, content: Content,
) -> None:
    code = await add_company(runtime, "株式会社サンプル", "csirt")
    await runtime.handle(Inbound("console", "tanaka", text=f"/start {code}"))
    form = {"category": "not_a_kind", "what": "x" * 1001, "impact": "stopped", "spreading": "yes", "elsewhere": "z"}
    replies = await runtime.handle(Inbound("console", "tanaka", text="/incident", form=form, event_id="form-1"))
    asked = next(r for r in replies if r.kind == "question")
    assert asked.question_ref is not None and asked.question_ref.endswith(":category")  # asked again, in the flow
    async with runtime.sessions() as session:
        rows = (await session.execute(select(AnswerRow.question_key, AnswerRow.value).order_by(AnswerRow.id))).all()
    assert rows == [("impact", "stopped"), ("spreading", "yes")]
    assert await count(runtime, Incident) == 0
    assert await runtime.handle(Inbound("console", "tanaka", text="/incident", form=form, event_id="form-1")) == []

    # A form for a command that has none is refused, and nothing is recorded.
    refused = await runtime.handle(Inbound("console", "tanaka", text="/hearing", form={"employees": "5"}))
    assert refused[0].kind == "error" and content.book.say("router.unknown_command", "ja", command="hearing") == refused[0].text
    assert await count(runtime, AnswerRow) == 2


async def test_the_engine_files_a_complete_form_once_and_refuses_the_unregistered(
    runtime: Runtime, content: Content,
) -> None:
    form = {"category": "phishing", "what": "偽サイトにパスワードを入力した", "impact": "none", "spreading": "no"}
    refused = await runtime.handle(Inbound("console", "stranger", text="/incident", form=form))
    assert refused[0].text == content.book.say("incident.not_registered", "ja")
    assert await count(runtime, Conversation) == 0

    code = await add_company(runtime, "株式会社サンプル", "csirt")
    await runtime.handle(Inbound("console", "tanaka", text=f"/start {code}"))
    replies = await runtime.handle(Inbound("console", "tanaka", text="/incident", form=form))
    assert "INC-2026-0001" in replies[0].text
    flow = content.response.incident_flow
    assert flow is not None
    started = content.book.say("flow.started", "ja", title=flow.title.ja)
    assert started not in [r.text for r in replies]  # filed at once: no questionnaire title after it
    async with runtime.sessions() as session:
        incident = await session.scalar(select(Incident))
        assert incident is not None and incident.category == "phishing"
        raw = dict((await session.execute(select(AnswerRow.question_key, AnswerRow.raw_text))).all())
    assert raw["category"] == label_of(content, "category", "phishing")  # what the person chose, as in the DM
    assert raw["what"] == form["what"]


async def test_a_database_fault_leaves_a_message_in_the_modal_not_the_placeholder(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, content: Content,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Down:
        def __call__(self) -> Down:
            return self

        async def __aenter__(self) -> None:
            raise ConnectionError("the database is down")

        async def __aexit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(runtime, "sessions", Down())
    form = await open_form(bot, slack_api, SlackPerson())
    assert "submit" not in form
    assert texts_of(form["blocks"]) == content.book.say("router.error", "ja")
