"""Fuzzing the Slack adapter (issue 8, item 7): malformed, truncated, oversized (1 MB) and wrongly
typed Slack payloads, every one correctly signed so that it gets past the signature check, posted
to `helpdesk serve slack --port P` in a child process.

Each must get a 4xx, or be acknowledged and ignored with a log line; the process never dies (it
answers a valid request afterwards); nothing is written (rows of people, answers, processed events,
conversations and incidents are counted before and after) and no Web API call is made.

The payloads start from Slack's documented examples (tests/fixtures/slack) filled in as a registered
person would send them, so that any part left valid would be acted on; hypothesis then breaks one
field the app depends on: another JSON type, the field taken away, a text longer than Slack allows
or a whole body over 1 MB, the body cut short, bytes that are not UTF-8, nesting no payload has.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.config import async_url
from bot.store.db import make_engine, session_factory
from bot.store.models import AnswerRow, Conversation, Incident, OutboxRow, Person, ProcessedEvent, SheetAnswer
from tests.fakes.slack_api import (
    APP_TOKEN,
    BotProcess,
    FakeSlackAPI,
    SlackPerson,
    SlackRequest,
    fixture,
    slack_api,  # noqa: F401 - the fixture
)

pytestmark = pytest.mark.slow

REQUIRED, OPTIONAL = True, False  # a required field may also be taken away or set to null
Path_ = tuple[str | int, ...]
ONE_MB = 1024 * 1024
LOGGED = re.compile(r"(refused|ignored) a malformed Slack")


# --- the valid payloads, and the fields each depends on


def bases(person: SlackPerson) -> dict[str, Any]:
    message = json.loads(person.message("/help").body)
    home = json.loads(person.home_opened().body)
    press = fixture("block_actions_button")
    press["user"]["id"] = person.user_id
    press["container"]["channel_id"] = person.dm
    press["channel"]["id"] = person.dm
    press["actions"][0].update(action_id="answer_0", block_id="q:1:employees", value="yes")
    shortcut = json.loads(_form(person.shortcut("incident_report"))["payload"])
    option = lambda value: {"text": {"type": "plain_text", "text": value}, "value": value}  # noqa: E731
    submission = fixture("view_submission")
    submission["user"]["id"] = person.user_id
    submission["view"].update(id="V0FUZZ0001", callback_id="incident_form", private_metadata='{"lang": "ja"}', state={"values": {
        "f:category": {"answer": {"type": "static_select", "selected_option": option("phishing")}},
        "f:what": {"answer": {"type": "plain_text_input", "value": "偽サイトに入力した"}},
        "f:impact": {"answer": {"type": "radio_buttons", "selected_option": option("none")}},
        "f:spreading": {"answer": {"type": "radio_buttons", "selected_option": option("no")}},
    }})
    return {
        "message": message, "home": home, "press": press, "shortcut": shortcut, "view_submission": submission,
        "command": _form(person.command("help")),
    }


PATHS: dict[str, dict[Path_, bool]] = {
    "message": {
        ("type",): REQUIRED, ("event",): REQUIRED, ("event", "type"): REQUIRED, ("event", "channel"): REQUIRED,
        ("event", "channel_type"): REQUIRED, ("event", "ts"): REQUIRED, ("event", "user"): OPTIONAL,
        ("event", "text"): REQUIRED, ("event_id",): REQUIRED,
    },
    "home": {("event",): REQUIRED, ("event", "type"): REQUIRED, ("event", "user"): REQUIRED, ("event", "tab"): REQUIRED},
    "press": {
        ("type",): REQUIRED, ("user",): REQUIRED, ("user", "id"): REQUIRED, ("actions",): REQUIRED,
        ("actions", 0): REQUIRED, ("actions", 0, "action_id"): REQUIRED, ("actions", 0, "block_id"): REQUIRED,
        ("actions", 0, "value"): OPTIONAL, ("container",): REQUIRED, ("container", "type"): REQUIRED,
        ("container", "channel_id"): OPTIONAL, ("message", "ts"): REQUIRED, ("message", "blocks"): OPTIONAL,
        ("trigger_id",): OPTIONAL,
    },
    "shortcut": {
        ("type",): REQUIRED, ("callback_id",): REQUIRED, ("user",): REQUIRED, ("user", "id"): REQUIRED,
        ("trigger_id",): REQUIRED,
    },
    "view_submission": {
        ("type",): REQUIRED, ("user",): REQUIRED, ("user", "id"): REQUIRED, ("view",): REQUIRED,
        ("view", "id"): REQUIRED, ("view", "callback_id"): REQUIRED, ("view", "type"): REQUIRED,
        ("view", "state"): REQUIRED, ("view", "state", "values"): REQUIRED, ("view", "private_metadata"): OPTIONAL,
        ("view", "hash"): OPTIONAL, ("view", "state", "values", "f:what", "answer", "value"): OPTIONAL,
        ("view", "state", "values", "f:category", "answer", "selected_option"): OPTIONAL,
        ("view", "state", "values", "f:category", "answer", "selected_option", "value"): REQUIRED,
    },
}
COMMAND_FIELDS = ("command", "user_id", "channel_id", "text", "trigger_id")  # Slack sends each
COMMAND_IDS = ("user_id", "channel_id", "trigger_id")
BAD_IDS = ("", "U2147483697 ", "U2147483697\n", "U 2147", "<@U2147483697>", "Ｕ２１４７", "U" * 300, "U1;DROP", "trigger\n1")
TEXT_PATHS: dict[str, Path_] = {  # where a long text goes (longer than Slack allows there)
    "message": ("event", "text"), "press": ("actions", 0, "value"), "shortcut": ("trigger_id",),
    "view_submission": ("view", "state", "values", "f:what", "answer", "value"), "home": ("event", "user"),
}

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_value = st.recursive(
    json_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _form(request: SlackRequest) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(request.body.decode(), keep_blank_values=True))


def _get(payload: Any, path: Path_) -> Any:
    for step in path:
        payload = payload[step]
    return payload


def _set(payload: Any, path: Path_, value: Any) -> None:
    _get(payload, path[:-1])[path[-1]] = value


def _delete(payload: Any, path: Path_) -> None:
    parent = _get(payload, path[:-1])
    del parent[path[-1]]


def _request(kind: str, payload: Any) -> SlackRequest:
    if kind == "command":
        return SlackRequest.form(payload)
    if kind in ("message", "home"):
        return SlackRequest.event(payload)
    return SlackRequest.interaction(payload)


@st.composite
def malformed(draw: st.DrawFn, valid: dict[str, Any]) -> tuple[str, SlackRequest]:
    """(what was broken, the request), always signed correctly when sent."""
    kind = draw(st.sampled_from(sorted(valid)))
    payload = copy.deepcopy(valid[kind])
    how = draw(st.sampled_from(["retype", "delete", "oversize", "truncate", "not UTF-8", "garbage", "deep"]))
    if kind == "command" and how == "retype":
        field = draw(st.sampled_from(COMMAND_IDS))
        payload[field] = draw(st.sampled_from(BAD_IDS))
        return f"command {field} = bad id", _request(kind, payload)
    if how == "retype":
        path = draw(st.sampled_from(sorted(PATHS[kind], key=str)))
        original = _get(payload, path)
        allowed = lambda v: type(v) is not type(original) and (v is not None or PATHS[kind][path])  # noqa: E731
        _set(payload, path, draw(json_value.filter(allowed)))
        return f"{kind} {path} retyped", _request(kind, payload)
    if how == "delete":
        if kind == "command":
            field = draw(st.sampled_from(COMMAND_FIELDS))
            del payload[field]
            return f"command {field} missing", _request(kind, payload)
        path = draw(st.sampled_from(sorted((p for p, required in PATHS[kind].items() if required), key=str)))
        _delete(payload, path)
        return f"{kind} {path} missing", _request(kind, payload)
    if how == "oversize":
        size = draw(st.sampled_from([45_000, 200_000, ONE_MB + 10]))
        if kind == "command":
            payload["text"] = "あ" * (size // 9) if size > ONE_MB else "x" * size
        else:
            _set(payload, TEXT_PATHS[kind], "x" * size)
        return f"{kind} oversized {size}", _request(kind, payload)
    if how == "deep":
        depth = draw(st.integers(70, 800))  # json.dumps, on this side, stops near 1,000
        nested: Any = "x"
        for _ in range(depth):
            nested = [nested]
        if kind == "command":
            return f"command body deep {depth}", SlackRequest(("[" * depth + "]" * depth).encode(), "application/json")
        _set(payload, draw(st.sampled_from(sorted(PATHS[kind], key=str))), nested)
        return f"{kind} nested {depth}", _request(kind, payload)
    request = _request(kind, payload)
    if how == "truncate" and kind != "command":  # a form cut short can still be a valid form
        cut = draw(st.integers(0, len(request.body) - 1))
        return f"{kind} truncated at {cut}", SlackRequest(request.body[:cut], request.content_type)
    if how == "not UTF-8":
        at = draw(st.integers(0, len(request.body)))
        return f"{kind} not UTF-8", SlackRequest(request.body[:at] + b"\xff\xfe" + request.body[at:], request.content_type)
    body = draw(st.binary(max_size=300))
    content_type = draw(st.sampled_from(["application/json", "application/x-www-form-urlencoded"]))
    return "garbage", SlackRequest(body, content_type)


# --- the database, counted from outside the bot process


TABLES = (Person, AnswerRow, SheetAnswer, ProcessedEvent, Conversation, Incident, OutboxRow)


def counts(database_url: str) -> dict[str, int]:
    async def go() -> dict[str, int]:
        engine = make_engine(async_url(database_url))
        try:
            async with session_factory(engine)() as session:
                return {
                    model.__tablename__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
                    for model in TABLES
                }
        finally:
            await engine.dispose()

    return asyncio.run(go())


@pytest.fixture
def bot(slack_api: FakeSlackAPI, database_url: str, tmp_path: Path) -> Iterator[BotProcess]:  # noqa: F811
    process = BotProcess(slack_api, database_url, tmp_path).wait_until_listening()
    yield process
    assert process.stop() == 0, process.output


def registered(bot: BotProcess, api: FakeSlackAPI, run_cli: Any) -> SlackPerson:
    """A person of a company, with a DM open, as every payload below claims to come from."""
    added = run_cli("company", "add", "株式会社サンプル", "--course", "csirt")
    assert added.returncode == 0, added.stderr
    person = SlackPerson()
    mark = api.mark()
    assert bot.send(person.command(f"start {added.stdout.strip().splitlines()[-1]}")).status == 200
    bot.wait_for(lambda: api.posts(person.user_id, mark) or None, what="the welcome")
    return person


def still_answers(bot: BotProcess, api: FakeSlackAPI, person: SlackPerson) -> None:
    mark = api.mark()
    assert bot.send(person.message("/status")).status == 200
    bot.wait_for(lambda: api.posts(person.user_id, mark) or None, what="an answer to a valid request")
    assert bot.alive()


def test_malformed_signed_payloads_get_4xx_or_are_ignored_with_a_log_line(
    bot: BotProcess, slack_api: FakeSlackAPI, database_url: str, run_cli: Any,  # noqa: F811
) -> None:
    person = registered(bot, slack_api, run_cli)
    valid = bases(person)
    before = counts(database_url)
    mark = slack_api.mark()
    logged = len(LOGGED.findall(bot.output))
    seen: dict[str, int] = {}

    @settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
    @given(malformed(valid))
    def case(broken: tuple[str, SlackRequest]) -> None:
        nonlocal logged
        what, request = broken
        answer = bot.send(request)
        seen[what.split(" ")[0]] = seen.get(what.split(" ")[0], 0) + 1
        assert answer.status == 200 or 400 <= answer.status < 500, (what, answer)
        if answer.status in (200, 400):  # ignored, or refused by the intake: either way, one log line
            logged += 1
            bot.wait_for(lambda: len(LOGGED.findall(bot.output)) >= logged or None, timeout=10, what=f"the log line of {what}")
        assert bot.alive(), bot.output

    case()
    still_answers(bot, slack_api, person)
    assert [c.method for c in slack_api.since(mark)] == ["chat.postMessage"]  # only the valid request was acted on
    after = counts(database_url)
    after["processed_events"] -= 1  # the valid message at the end
    assert after == before
    assert set(seen) >= {"message", "press", "shortcut", "view_submission", "command"}, seen


def test_the_worst_of_them_one_by_one(
    bot: BotProcess, slack_api: FakeSlackAPI, database_url: str, run_cli: Any,  # noqa: F811
) -> None:
    person = registered(bot, slack_api, run_cli)
    secret = "秘密のパスワード hunter2"  # what a person typed never reaches the log
    message = json.loads(person.message(secret).body)
    event = message["event"]
    body = json.dumps(message, ensure_ascii=False).encode()
    cases: dict[str, SlackRequest] = {
        "cut short": SlackRequest(body[: len(body) // 2], "application/json"),
        "cut by one byte": SlackRequest(body[:-1], "application/json"),
        "a form cut inside its payload": SlackRequest(SlackRequest.interaction(message).body[:-7], "application/x-www-form-urlencoded"),
        "over 1 MB": SlackRequest.event({**message, "event": {**event, "text": "x" * ONE_MB}}),
        "just under 1 MB": SlackRequest.event({**message, "event": {**event, "text": secret + "x" * (ONE_MB - 2000)}}),
        "not UTF-8": SlackRequest(body.replace(b"hunter2", b"hunter\xff2"), "application/json"),
        "a user that is a number": SlackRequest.event({**message, "event": {**event, "user": 2147483697}}),
        "a user that is an object": SlackRequest.event({**message, "event": {**event, "user": {"id": person.user_id}}}),
        "authorizations that are text": SlackRequest.event({**message, "authorizations": "x"}),
        "a payload that is a list": SlackRequest.interaction([message]),  # type: ignore[arg-type]
        "a command with authorizations": SlackRequest.form({**_form(person.command("help")), "authorizations": "x"}),
        "a command without its user": SlackRequest.form({k: v for k, v in _form(person.command("help")).items() if k != "user_id"}),
        "nested 50,000 deep": SlackRequest(b'{"type": "event_callback", "event": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "application/json"),
    }
    before = counts(database_url)
    mark = slack_api.mark()
    logged = len(LOGGED.findall(bot.output))
    for name, request in cases.items():
        answer = bot.send(request)
        if name == "over 1 MB":
            assert answer.status == 413, (name, answer)
            continue
        assert answer.status in (200, 400), (name, answer)
        logged += 1
        bot.wait_for(lambda: len(LOGGED.findall(bot.output)) >= logged or None, timeout=10, what=f"the log line of {name}")
    still_answers(bot, slack_api, person)
    assert secret not in bot.output and "hunter" not in bot.output
    assert [c.method for c in slack_api.since(mark)] == ["chat.postMessage"]  # only the answer to the valid one
    after = counts(database_url)
    after["processed_events"] -= 1
    assert after == before


def test_socket_mode_acknowledges_and_ignores_a_payload_it_cannot_read(
    slack_api: FakeSlackAPI, database_url: str, tmp_path: Path,  # noqa: F811
) -> None:
    process = BotProcess(slack_api, database_url, tmp_path, env={"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": ""})
    try:
        process.wait_for(lambda: "Socket Mode" in process.output or None, what="the Socket Mode connection")
        person = SlackPerson()
        valid = json.loads(person.message("/help").body)
        before = counts(database_url)
        broken = [
            {**valid, "event": [valid["event"]]},  # slack-bolt would fail on it
            {**valid, "authorizations": "x"},
            {**valid, "event": {**valid["event"], "user": 2147483697}},
        ]
        for payload in broken:
            envelope = slack_api.socket_send(payload)
            process.wait_for(lambda: envelope in slack_api.socket_acks or None, what="the envelope's ack")
        process.wait_for(lambda: len(LOGGED.findall(process.output)) >= len(broken) or None, what="a log line each")
        assert counts(database_url) == before and slack_api.since(0, "chat.postMessage") == []
        envelope = slack_api.socket_send(valid)
        process.wait_for(lambda: slack_api.posts(person.user_id) or None, what="the answer to a valid one")
        assert process.alive()
    finally:
        assert process.stop() == 0, process.output
