"""Black-box, as Slack would: `helpdesk serve slack --port P` in a child process, signed requests built
from Slack's documented payloads, and the fake Web API recording what the bot posted."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import async_url
from bot.content.loader import Content
from bot.content.models import Question
from bot.engine.flow import MORE
from bot.engine.render import Speaker, question_choices
from bot.engine.step import FlowInput, FlowState, step
from bot.platforms.slack.blocks import from_engine
from bot.store.db import make_engine, session_factory
from bot.store.models import AnswerRow, Conversation, Incident, IncidentEvent, Person, ProcessedEvent, SheetAnswer
from tests.answering import valid_answer
from tests.fakes.slack_api import (
    APP_TOKEN,
    BOT_TOKEN,
    BotProcess,
    Call,
    FakeSlackAPI,
    SlackPerson,
    SlackRequest,
    fixture,
    slack_api,  # noqa: F401 - the fixture
)

pytestmark = pytest.mark.slow
SCRIPTED_PERSON = {"HELPDESK_FLOOD_LIMIT": "1000"}


@pytest.fixture
def bot(slack_api: FakeSlackAPI, database_url: str, tmp_path: Path) -> Any:  # noqa: F811
    process = BotProcess(slack_api, database_url, tmp_path).wait_until_listening()
    yield process
    assert process.stop() == 0, process.output


@pytest.fixture
def fast_bot(slack_api: FakeSlackAPI, database_url: str, tmp_path: Path) -> Any:  # noqa: F811
    """For a person scripted to answer as fast as the bot replies: a whole hearing is a flood by the
    bot's rule (more than 20 messages in 10 s), so the limit is widened (tests/test_flood.py)."""
    process = BotProcess(slack_api, database_url, tmp_path, env=SCRIPTED_PERSON).wait_until_listening()
    yield process
    assert process.stop() == 0, process.output


def _run(database_url: str, query: Any) -> Any:
    async def go() -> Any:
        engine = make_engine(async_url(database_url))
        try:
            async with session_factory(engine)() as session:
                return (await session.execute(query)).all()
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _count(database_url: str, model: Any) -> int:
    return int(_run(database_url, select(func.count()).select_from(model))[0][0])


def _register(bot: BotProcess, api: FakeSlackAPI, person: SlackPerson, run_cli: Any, course: str) -> str:
    added = run_cli("company", "add", "株式会社サンプル", "--course", course)
    assert added.returncode == 0, added.stderr
    code = added.stdout.strip().splitlines()[-1]
    mark = api.mark()
    ack = bot.send(person.command(f"start {code}"))
    assert ack.status == 200
    joined = bot.wait_for(lambda: next(iter(api.posts(person.user_id, mark)), None), what="the welcome")
    assert "株式会社サンプル" in joined.text
    return code


@dataclass(frozen=True)
class Turn:
    key: str
    question: Question
    labels: tuple[str, ...] = ()  # buttons to press, or boxes to tick
    typed: str = ""


def hearing_script(content: Content, course: str) -> list[Turn]:
    """The whole hearing as a person would go through it on Slack, worked out with the pure engine:
    buttons where the question has options (checkboxes for multi-choice), typing elsewhere."""
    flow = content.hearing_flow(course)
    assert flow is not None
    sp = Speaker("ja", content.book, content.words, date.today())
    result = step(flow, FlowState(), FlowInput("start"), sp)
    script = []
    while result.state.cursor is not None:
        current = next(s for s in flow.plan(result.state.answers) if s.key == result.state.cursor)
        question = current.question
        choices = question_choices(question, sp)
        if question.id == MORE:
            picked = choices[0 if current.entry == 1 else 1:][:1]  # a second entry, then no more
        elif question.type == "multi_choice":
            picked = choices[:2]
        else:
            picked = choices[:1]
        if picked:
            turn = Turn(current.key, question, labels=tuple(c.label for c in picked))
            values = tuple(c.value for c in picked)
            inp = (FlowInput("message", choices=values, reply_to=current.key) if question.type == "multi_choice"
                   else FlowInput("message", choice=values[0], reply_to=current.key))
        else:
            turn = Turn(current.key, question, typed=valid_answer(question, "ja"))
            inp = FlowInput("message", text=turn.typed)
        script.append(turn)
        result = step(flow, result.state, inp, sp)
    return script


def _answer(api: FakeSlackAPI, person: SlackPerson, turn: Turn, question: Call) -> SlackRequest:
    """What the person does about the question the bot just posted."""
    if not turn.labels:
        assert question.actions is None
        return person.message(turn.typed)
    assert question.actions is not None and question.actions["block_id"].endswith(f":{turn.key}")
    message = api.message(question.channel, question.ts)  # type: ignore[arg-type]
    if turn.question.type == "multi_choice":
        return person.submit(message, question.channel, list(turn.labels))  # type: ignore[arg-type]
    return person.press(message, question.channel, turn.labels[0])  # type: ignore[arg-type]


def test_a_full_hearing_through_dms_and_buttons(
    fast_bot: BotProcess, slack_api: FakeSlackAPI, database_url: str, content: Content, run_cli: Any,  # noqa: F811
) -> None:
    bot = fast_bot
    person = SlackPerson()
    _register(bot, slack_api, person, run_cli, "it-bcp")
    script = hearing_script(content, "it-bcp")
    reprompts = [t.ja.split("{")[0] for k, t in content.book.messages.messages.items() if k.startswith("reprompt.")]

    mark = slack_api.mark()
    assert bot.send(person.command("hearing")).status == 200
    presses = 0
    for turn in script:
        (question,) = bot.wait_for(lambda: slack_api.posts(person.user_id, mark) or None, what=turn.key)
        assert not any(r in question.text for r in reprompts if len(r) > 5), question.text
        assert from_engine(turn.question.text.get("ja"))[:200] in question.all_text
        presses += bool(turn.labels)
        mark = slack_api.mark()
        assert bot.send(_answer(slack_api, person, turn, question)).status == 200

    (done,) = bot.wait_for(lambda: slack_api.posts(person.user_id, mark) or None, what="the end")
    assert "回答がそろいました" in done.text

    # Each pressed question now reads as a filled form: no buttons, the answer underneath.
    updates = slack_api.updates(person.user_id)
    assert len(updates) == presses
    for update in updates:
        assert not any(b["type"] == "actions" for b in update.blocks)
        assert update.blocks[-1]["elements"][0]["text"].startswith("回答: ")
    rows = _run(database_url, select(Conversation.status, Conversation.flow_id))
    assert rows == [("completed", "hearing_it_bcp")]
    answered = _run(database_url, select(SheetAnswer.question_key, SheetAnswer.value).order_by(SheetAnswer.id))
    assert [key for key, _ in answered] == [t.key for t in script]
    first_multi = next(t for t in script if t.question.type == "multi_choice")
    stored = dict(answered)[first_multi.key]
    assert len(stored) == 2  # both ticked boxes


def test_an_incident_report_from_the_shortcut_modal_then_its_checklist(
    bot: BotProcess, slack_api: FakeSlackAPI, database_url: str, content: Content, run_cli: Any,  # noqa: F811
) -> None:
    person = SlackPerson()
    _register(bot, slack_api, person, run_cli, "csirt")

    def step(request: SlackRequest) -> Call:
        mark = slack_api.mark()
        assert bot.send(request).status == 200
        return bot.wait_for(lambda: slack_api.posts(person.user_id, mark) or None)[-1]

    def choose(question: Call, label: str) -> Call:
        return step(person.press(slack_api.message(question.channel, question.ts), question.channel, label))  # type: ignore[arg-type]

    mark = slack_api.mark()
    assert bot.send(person.shortcut("incident_report")).status == 200
    (update,) = bot.wait_for(lambda: slack_api.since(mark, "views.update") or None, what="the form")
    (opened,) = slack_api.since(mark, "views.open")
    assert opened.ok and update.ok and update.params["view_id"] == opened.response["view"]["id"]
    form = slack_api.views[update.params["view_id"]]
    kinds = next(b for b in form["blocks"] if b.get("block_id") == "f:category")["element"]
    assert kinds["type"] == "static_select"  # nine kinds of incident: a menu
    ransomware = next(o for o in kinds["options"] if o["text"]["text"].startswith("ランサムウェア"))
    answers = {"f:category": ransomware["text"]["text"], "f:what": "ファイルが開けない <重要>",
               "f:impact": "業務が止まっている", "f:spreading": "広がっている"}
    mark = slack_api.mark()
    submitted = bot.send(person.submit_view(form, answers))
    assert submitted.status == 200 and json.loads(submitted.body)["response_action"] == "update"
    filed = bot.wait_for(lambda: slack_api.posts(person.user_id, mark) or None, what="the filing")[-1]
    assert "INC-2026-0001" in filed.all_text and filed.actions is not None
    assert filed.actions["block_id"].startswith("v:inc:")  # buttons that stay after a press
    assert _run(database_url, select(Incident.number, Incident.category)) == [("INC-2026-0001", ransomware["value"])]
    stored = dict(_run(database_url, select(AnswerRow.question_key, AnswerRow.value)))
    assert stored["what"] == "ファイルが開けない <重要>"  # typed in a modal: plain text, not mrkdwn

    assert "JPCERT/CC" in choose(filed, "連絡先").all_text
    # The details go on in the DM, question by question; the form is not filed twice.
    choose(filed, "詳しく答える")  # the same message's buttons: a press left them in place
    noticed_how = step(person.message("今日"))
    assert noticed_how.actions is not None and noticed_how.actions["block_id"].endswith(":noticed_how")
    assert _count(database_url, Incident) == 1

    panel = step(person.command("incident show INC-2026-0001"))
    assert panel.actions is not None and panel.actions["block_id"].startswith("q:inc:")
    (steps,) = panel.actions["elements"]
    first = steps["options"][0]["text"]["text"]
    choose(panel, first)
    steps_done = _run(database_url, select(IncidentEvent.data).where(IncidentEvent.kind == "step"))
    assert [data["done"] for (data,) in steps_done] == [True]
    (filled,) = [u for u in slack_api.updates(person.user_id) if u.ts == panel.ts]
    assert filled.blocks[-1]["elements"][0]["text"].endswith(first)


def test_the_same_event_delivered_three_times_is_answered_once(
    bot: BotProcess, slack_api: FakeSlackAPI, database_url: str, content: Content,  # noqa: F811
) -> None:
    person = SlackPerson()
    request = person.message("/help")
    for retry in (None, 1, 2):  # Slack's redeliveries carry X-Slack-Retry-Num
        assert bot.send(request, retry=retry).status == 200
    # A person's turns run in the order they came: once this one is answered, all three are done.
    assert bot.send(person.message("/status")).status == 200
    status = from_engine(content.book.say("start.welcome_unregistered", "ja"))
    bot.wait_for(lambda: [c for c in slack_api.posts(person.user_id) if c.text == status] or None, what="/status")
    help_text = from_engine(content.book.say("help.unregistered", "ja"))
    assert [c.text for c in slack_api.posts(person.user_id)] == [help_text, status]
    assert _count(database_url, ProcessedEvent) == 2


def test_the_same_button_pressed_twice_is_answered_once(
    bot: BotProcess, slack_api: FakeSlackAPI, database_url: str, content: Content, run_cli: Any,  # noqa: F811
) -> None:
    person = SlackPerson()
    _register(bot, slack_api, person, run_cli, "csirt")
    mark = slack_api.mark()
    bot.send(person.message("/hearing"))
    (question,) = bot.wait_for(lambda: slack_api.posts(person.user_id, mark) or None)
    script = hearing_script(content, "csirt")
    for turn in itertools.takewhile(lambda t: not t.labels or t.question.type == "multi_choice", script):
        mark = slack_api.mark()
        bot.send(_answer(slack_api, person, turn, question))  # up to the first question with buttons
        (question,) = bot.wait_for(lambda: slack_api.posts(person.user_id, mark) or None)
    message = slack_api.message(question.channel, question.ts)  # type: ignore[arg-type]
    labels = [e["text"]["text"] for e in question.actions["elements"]]  # type: ignore[index]
    mark = slack_api.mark()
    first = person.press(message, question.channel, labels[0])  # type: ignore[arg-type]
    second = person.press(message, question.channel, labels[-1])  # type: ignore[arg-type]
    assert bot.send(first).status == 200
    assert bot.send(first).status == 200  # the same click delivered twice
    assert bot.send(second).status == 200  # and another button of the same question, just as fast
    # A person's turns run in the order they came: once the progress is answered, the presses are done.
    bot.send(person.message("進捗"))
    progress = content.book.text("flow.status").ja.split("{")[0]
    bot.wait_for(lambda: [p for p in slack_api.posts(person.user_id, mark) if p.text.startswith(progress)] or None)
    posts = slack_api.posts(person.user_id, mark)
    assert len(posts) == 2, [p.text for p in posts]  # the next question, then the progress
    assert len(slack_api.updates(person.user_id, mark)) == 1
    key = question.actions["block_id"].split(":", 2)[2]  # type: ignore[index]
    rows = _run(database_url, select(SheetAnswer.question_key).where(SheetAnswer.question_key == key))
    assert len(rows) == 1


@pytest.mark.parametrize("kind", ["event", "command", "action", "view_submission"])
def test_bad_and_stale_signatures_get_401_and_change_nothing(
    bot: BotProcess, slack_api: FakeSlackAPI, database_url: str, kind: str,  # noqa: F811
) -> None:
    person = SlackPerson()
    request = {
        "event": person.message("/help"),
        "command": person.command("help"),
        "action": SlackRequest.interaction(fixture("block_actions_button")),
        "view_submission": SlackRequest.interaction(fixture("view_submission")),
    }[kind]
    assert bot.send(request, secret="not-the-signing-secret").status == 401
    assert bot.send(request, timestamp=int(time.time()) - 6 * 60).status == 401  # older than 5 minutes
    extra = b" " if request.content_type == "application/json" else b"&tampered=1"
    tampered = SlackRequest(request.body + extra, request.content_type)
    assert bot.send(tampered, headers=request.headers()).status == 401  # a valid signature of another body

    other = SlackPerson("U0BARRIER1")  # a signed request after them, answered: the bad ones were not
    mark = slack_api.mark()
    bot.send(other.message("/help"))
    bot.wait_for(lambda: slack_api.posts(other.user_id, mark) or None)
    assert [c.channel for c in slack_api.since(0, "chat.postMessage")] == [other.dm]
    assert _count(database_url, Person) == 1 and _count(database_url, ProcessedEvent) == 1


def test_the_menu_and_its_buttons(bot: BotProcess, slack_api: FakeSlackAPI, content: Content) -> None:  # noqa: F811
    person = SlackPerson()
    mark = slack_api.mark()
    ack = bot.send(person.command(""))
    assert ack.status == 200
    (menu,) = bot.wait_for(lambda: slack_api.posts(person.user_id, mark) or None)
    labels = [e["text"]["text"] for e in menu.actions["elements"]]  # type: ignore[index]
    assert labels == [content.book.say(f"slack.menu.{i}", "ja") for i in ("hearing", "incident", "soudan", "status", "help")]
    mark = slack_api.mark()
    bot.send(person.press(slack_api.message(menu.channel, menu.ts), menu.channel, labels[-1]))  # type: ignore[arg-type]
    (answer,) = bot.wait_for(lambda: slack_api.posts(person.user_id, mark) or None)
    assert answer.text == from_engine(content.book.say("help.unregistered", "ja"))
    (update,) = slack_api.updates(person.user_id, mark)
    assert update.blocks[-1]["elements"][0]["text"] == content.book.say("slack.picked", "ja", answer=labels[-1])
    # Typed in the DM itself, the command's ack adds nothing: the answer is right there.
    assert bot.send(person.command("status", channel_id=person.dm)).body == ""


def test_start_up_talks_only_to_the_configured_api(bot: BotProcess, slack_api: FakeSlackAPI) -> None:  # noqa: F811
    (auth,) = slack_api.since(0, "auth.test")
    assert auth.ok
    assert "xoxb" not in bot.output and "Slack: listening" in bot.output


def test_missing_or_refused_tokens_stop_the_start_with_one_clear_line(
    slack_api: FakeSlackAPI, database_url: str, tmp_path: Path, run_cli: Any,  # noqa: F811
) -> None:
    env = {"HELPDESK_SLACK_API_URL": slack_api.base_url, "SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": "", "SLACK_APP_TOKEN": ""}
    missing = run_cli("serve", "slack", "--port", "9", env=env)
    assert missing.returncode == 2 and "SLACK_BOT_TOKEN is not set" in missing.stderr
    no_secret = run_cli("serve", "slack", "--port", "9", env={**env, "SLACK_BOT_TOKEN": "xoxb-1"})
    assert no_secret.returncode == 2 and "SLACK_SIGNING_SECRET is not set" in no_secret.stderr
    refused = run_cli("serve", "slack", "--port", "9", env={**env, "SLACK_BOT_TOKEN": "xoxb-wrong", "SLACK_SIGNING_SECRET": "s"})
    assert refused.returncode == 2 and "refused SLACK_BOT_TOKEN (invalid_auth)" in refused.stderr
    assert "xoxb-wrong" not in refused.stderr + refused.stdout
    socket_refused = run_cli("serve", "slack", env={**env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-wrong"})
    assert socket_refused.returncode == 2, socket_refused.stderr
    assert "Socket Mode: Slack refused SLACK_APP_TOKEN (invalid_auth)" in socket_refused.stderr
    assert [c.method for c in slack_api.calls] == ["auth.test", "auth.test", "apps.connections.open"]


def test_a_port_in_use_is_one_clear_line(
    bot: BotProcess, slack_api: FakeSlackAPI, run_cli: Any,  # noqa: F811
) -> None:
    env = {"HELPDESK_SLACK_API_URL": slack_api.base_url, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": ""}
    taken = run_cli("serve", "slack", "--port", str(bot.port), env=env)
    assert taken.returncode == 2 and f"cannot listen on port {bot.port}" in taken.stderr


def test_socket_mode_when_an_app_token_is_set(
    slack_api: FakeSlackAPI, database_url: str, tmp_path: Path, content: Content,  # noqa: F811
) -> None:
    process = BotProcess(slack_api, database_url, tmp_path, env={"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": ""})
    try:
        process.wait_for(lambda: "Socket Mode" in process.output or None, what="the Socket Mode connection")
        (opened,) = slack_api.since(0, "apps.connections.open")
        assert opened.token == APP_TOKEN
        person = SlackPerson()
        body = json.loads(person.message("/help").body)
        envelope = slack_api.socket_send(body)
        process.wait_for(lambda: envelope in slack_api.socket_acks or None, what="the envelope's ack")
        (answer,) = process.wait_for(lambda: slack_api.posts(person.user_id) or None)
        assert answer.text == from_engine(content.book.say("help.unregistered", "ja"))
    finally:
        assert process.stop() == 0, process.output
