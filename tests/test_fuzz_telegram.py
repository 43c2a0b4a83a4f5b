"""Adapter fuzzing, Telegram: malformed, truncated, oversized (1 MB) and wrongly-typed payloads, posted
to the webhook of `helpdesk serve telegram` and served in getUpdates answers while it polls.

Each one is refused (4xx, or at least not accepted) or ignored with a log line; the bot keeps running
and answers a valid update sent after them; and nothing is written: the rows of people, identities,
conversations, answers and processed_events are counted before and after, and the only change is the
person who sent the valid update. Hypothesis makes the wrongly-typed variants of a valid update: one
field the adapter reads gets a value of another JSON type. No timed assertions; the file runs in
about half a minute (each bot is a child process; a bad getUpdates answer costs the bot a 1 s pause).
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.config import async_url
from bot.store.db import make_engine, session_factory
from bot.store.models import AnswerRow, Conversation, Identity, Person, ProcessedEvent, SheetAnswer
from tests.fakes.telegram_api import (
    BotProcess,
    Call,
    FakeTelegramAPI,
    TelegramUser,
    fixture,
    next_update_id,
    telegram_api,
)
from tests.test_telegram_webhook import free_port

pytestmark = pytest.mark.slow
__all__ = ["telegram_api"]  # the fixture, used by name

SECRET = "fuzz-Secret_token_0123456789abcdef"  # 32 or more, as the bot wants
ONE_MB = 1024 * 1024
TABLES = {"people": Person, "identities": Identity, "conversations": Conversation, "answers": AnswerRow,
          "sheet_answers": SheetAnswer, "processed_events": ProcessedEvent}
IGNORED = re.compile(r"update (\S+) (?:ignored|failed)")  # the adapter's lines (updates, polling, handlers)


# --- what the database holds


async def _rows(database_url: str) -> dict[str, int]:
    engine = make_engine(async_url(database_url))
    try:
        async with session_factory(engine)() as session:
            return {name: int(await session.scalar(select(func.count()).select_from(model)) or 0)
                    for name, model in TABLES.items()}
    finally:
        await engine.dispose()


def rows(database_url: str) -> dict[str, int]:
    return asyncio.run(_rows(database_url))


# --- payloads


def press_update(user: TelegramUser, data: Any) -> dict[str, Any]:
    update = fixture("callback_query")
    update["update_id"] = next_update_id()
    update["callback_query"].update(id=str(next_update_id()), data=data, **{"from": user.user})
    update["callback_query"]["message"]["chat"]["id"] = user.user_id
    return update


# The fields the adapter reads (and two that python-telegram-bot parses itself: date, entities), with
# values of other JSON types than the Bot API sends there. `None` only where null leaves nothing to act
# on: an optional field (text, last_name) set to null is simply absent, i.e. the update is a valid
# /help. Likewise an empty "" or {} for entities, which the library reads as no entities.
_NUMBERS = st.integers(-10**12, 10**12)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
_TEXTS = st.text(max_size=12)
_LISTS = st.lists(st.integers() | st.text(max_size=4), max_size=3)
_DICTS = st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=4), max_size=3)
NOT_INT = st.none() | st.booleans() | _FLOATS | _TEXTS | _LISTS | _DICTS
NOT_STR = st.booleans() | _NUMBERS | _FLOATS | _LISTS | _DICTS
NOT_OBJECT = st.booleans() | _NUMBERS | _TEXTS | _LISTS
WRONG: dict[tuple[str, ...], st.SearchStrategy[Any]] = {
    ("update_id",): NOT_INT,
    ("message",): st.none() | NOT_OBJECT,
    ("message", "from"): st.none() | NOT_OBJECT,
    ("message", "from", "id"): NOT_INT,
    ("message", "from", "first_name"): st.none() | NOT_STR,
    ("message", "from", "last_name"): NOT_STR,
    ("message", "from", "language_code"): NOT_STR,
    ("message", "chat"): st.none() | NOT_OBJECT,
    ("message", "chat", "id"): NOT_INT,
    ("message", "chat", "type"): st.none() | NOT_STR,
    ("message", "text"): NOT_STR,
    ("message", "date"): st.none() | _TEXTS | _LISTS | _DICTS,
    ("message", "entities"): (_NUMBERS | _TEXTS | _DICTS).filter(bool),
}


@st.composite
def wrongly_typed(draw: st.DrawFn, user: TelegramUser, fields: list[tuple[str, ...]]) -> dict[str, Any]:
    """A valid /help update with one field given a value of the wrong type."""
    update = user.text_update("/help")
    path = draw(st.sampled_from(fields))
    value = draw(WRONG[path])
    holder = update
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return update


def malformed_bodies(user: TelegramUser) -> dict[str, bytes]:
    """Bodies that are not a JSON update at all."""
    whole = json.dumps(user.text_update("/help")).encode()
    return {
        "empty": b"",
        "not JSON": b"garbage{",
        "not UTF-8": b"\xff\xfe{\"update_id\": 1}",
        "truncated after 1 byte": whole[:1],
        "truncated in the middle": whole[: len(whole) // 2],
        "truncated before the last brace": whole[:-1],
        "1 MB of garbage": b"x" * ONE_MB,
    }


def unusable_json(user: TelegramUser) -> dict[str, Any]:
    """JSON that python-telegram-bot cannot make an Update of."""
    return {
        "a list": [user.text_update("/help")],
        "a number": 5,
        "a string": "update",
        "message is a string": {"update_id": next_update_id(), "message": "hello"},
        "from is a string": {**(u := user.text_update("/help")), "message": {**u["message"], "from": "me"}},
        "press from a string": {**(p := press_update(user, "KEY:0")),
                                "callback_query": {**p["callback_query"], "from": 7}},
    }


def ignorable(user: TelegramUser) -> dict[str, Any]:
    """Updates python-telegram-bot reads, which the adapter must ignore with a log line."""
    oversized = user.text_update("a" * ONE_MB)
    return {
        "1 MB text": oversized,
        "text is a number": {**(u := user.text_update("/help")), "message": {**u["message"], "text": 12345}},
        "update_id is a string": {**user.text_update("/help"), "update_id": "abc"},
        "only an update_id": {"update_id": next_update_id()},
        "an edited message": {"update_id": next_update_id(),
                              "edited_message": user.text_update("/help")["message"]},
        "press data is an object": press_update(user, {"key": "KEY", "action": 0}),
        "press data is a number": press_update(user, 12),
    }


def log_ids(payload: Any) -> str:
    """How the adapter names a payload's update in its log line."""
    update_id = payload.get("update_id") if isinstance(payload, dict) else None
    return str(update_id) if isinstance(update_id, int) and not isinstance(update_id, bool) else "?"


# --- the webhook


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


class Webhook:
    def __init__(self, api: FakeTelegramAPI, database_url: str, cwd: Path) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/telegram/updates"
        self.bot = BotProcess(
            api, database_url, cwd, "--webhook-url", self.url, "--port", str(port),
            env={"HELPDESK_TELEGRAM_WEBHOOK_SECRET": SECRET, "HELPDESK_LOG_LEVEL": "INFO"},
        )
        self.bot.wait_for(lambda: "is running (webhook" in self.bot.output, what="the webhook server")

    def send(self, payload: Any) -> int:
        status = post(self.url, payload if isinstance(payload, bytes) else json.dumps(payload).encode())
        assert self.bot.alive(), f"the bot died on a payload:\n{self.bot.output[-3000:]}"
        return status


@pytest.fixture
def webhook(telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path) -> Iterator[Webhook]:
    served = Webhook(telegram_api, database_url, tmp_path)
    yield served
    assert served.bot.stop() == 0, served.bot.output[-3000:]


class Stranger:
    """Someone new who sends a valid /help after the bad payloads: when it is answered, the bot is
    alive and got past everything sent before (updates are handled in order)."""

    def __init__(self, api: FakeTelegramAPI) -> None:
        self.api = api
        self.user = TelegramUser(api, user_id=2222222, first_name="Hanako")
        self.sent = 0

    def is_answered(self, bot: BotProcess, send: Callable[[dict[str, Any]], object]) -> None:
        mark = self.api.mark()
        send(self.user.text_update("/help"))
        self.sent += 1

        def answer() -> Call | None:
            sent = self.api.since(mark, "sendMessage", self.user.user_id)
            return next((c for c in sent if c.status == 200), None)

        try:
            reply = bot.wait_for(answer, what="the answer to a valid update")
        except AssertionError as error:
            raise AssertionError(f"{error}\nthe bot's log:\n{bot.output[-4000:]}") from None
        assert "/soudan" in reply.text  # the help for someone not registered

    def wrote(self, before: dict[str, int]) -> dict[str, int]:
        """What the valid updates write: the person and their identity once, a claim per update."""
        return {**before, "people": before["people"] + 1, "identities": before["identities"] + 1,
                "processed_events": before["processed_events"] + self.sent}


def wait_for_log_lines(bot: BotProcess, payloads: list[Any]) -> None:
    """Every ignored update has its line (the lines come on the child's stderr, a moment later)."""
    wanted = [log_ids(p) for p in payloads]

    def missing() -> list[Any]:
        found = [m.group(1) for m in IGNORED.finditer(bot.output)]
        return [p for p, i in zip(payloads, wanted) if found.count(i) < wanted.count(i)]

    try:
        bot.wait_for(lambda: not missing(), what="a log line for each ignored update")
    except AssertionError as error:
        raise AssertionError(f"{error}\nno line for: {json.dumps(missing())[:3000]}") from None


def test_the_webhook_refuses_or_ignores_every_bad_payload_and_writes_nothing(
    webhook: Webhook, telegram_api: FakeTelegramAPI, database_url: str
) -> None:
    user = TelegramUser(telegram_api)
    before = rows(database_url)

    for name, body in malformed_bodies(user).items():
        assert 400 <= webhook.send(body) < 500, name
    for name, payload in unusable_json(user).items():
        assert webhook.send(payload) == 400, name
    accepted: list[Any] = []
    for name, payload in ignorable(user).items():
        assert webhook.send(payload) == 200, name
        accepted.append(payload)

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(payload=wrongly_typed(user, list(WRONG)))
    def wrongly_typed_update(payload: dict[str, Any]) -> None:
        status = webhook.send(payload)
        assert status in (200, 400), (status, payload)
        if status == 200:
            accepted.append(payload)

    wrongly_typed_update()

    stranger = Stranger(telegram_api)
    stranger.is_answered(webhook.bot, webhook.send)
    wait_for_log_lines(webhook.bot, accepted)
    assert rows(database_url) == stranger.wrote(before)
    assert not telegram_api.since(0, "sendMessage", user.user_id)  # nothing answered to the fuzzer's chat
    assert SECRET not in webhook.bot.output


def test_a_body_that_is_not_an_update_gets_a_4xx(webhook: Webhook, telegram_api: FakeTelegramAPI) -> None:
    bodies = [*malformed_bodies(TelegramUser(telegram_api)).values(), b"{}"]
    statuses = [webhook.send(body) for body in bodies]
    assert all(400 <= s < 500 for s in statuses), statuses


# --- polling: a stand-in Bot API whose getUpdates can answer anything


class RawTelegramAPI(FakeTelegramAPI):
    """The stand-in Bot API; `serve_raw` queues raw getUpdates answers, each served once (None in
    the queue: answer that call normally)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._raw: list[bytes | None] = []

    def serve_raw(self, *answers: bytes | None) -> None:
        with self._lock:
            self._raw.extend(answers)

    def raw_left(self) -> int:
        with self._lock:
            return len(self._raw)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "getUpdates":
            with self._lock:
                raw = self._raw.pop(0) if self._raw else None
            if raw is not None:
                self._record(Call("getUpdates", {}, 200, result="raw"))
                return web.Response(body=raw, content_type="application/json")
        return await super()._handle(request)


@pytest.fixture
def raw_api() -> Iterator[RawTelegramAPI]:
    api = RawTelegramAPI().start()
    yield api
    for bot in api.bots:
        bot.kill()
    api.stop()


def ok(result: Any) -> bytes:
    return json.dumps({"ok": True, "result": result}).encode()


def test_polling_ignores_every_bad_get_updates_answer_and_writes_nothing(
    raw_api: RawTelegramAPI, database_url: str, tmp_path: Path
) -> None:
    user = TelegramUser(raw_api)
    bot = BotProcess(raw_api, database_url, tmp_path, env={"HELPDESK_LOG_LEVEL": "INFO"})
    bot.wait_until_polling()
    before = rows(database_url)

    # Answers that are not a getUpdates answer (each costs the bot a short pause, then it polls on),
    # and answers whose updates are not updates; a normal call in between resets the pause.
    whole = ok([user.text_update("/help")])
    raw_api.serve_raw(
        b"garbage{", None, whole[: len(whole) // 2], None, b"x" * ONE_MB, None,
        ok({"update_id": 1}), ok([1, "x", None, {"update_id": "abc", "message": "hello"}]),
        ok([user.text_update("/help") | {"update_id": "abc"}]), json.dumps({"ok": True}).encode(),
    )
    bot.wait_for(lambda: raw_api.raw_left() == 0, what="the raw answers served")
    # Updates served (and served again until confirmed) like any other: unreadable ones, oversized,
    # wrongly typed; then a valid one, which must be answered.
    served = [p for p in [*unusable_json(user).values(), *ignorable(user).values()]
              if isinstance(p, dict) and isinstance(p.get("update_id"), int)]  # what the fake can serve
    raw_api.push(*served)
    stranger = Stranger(raw_api)
    stranger.is_answered(bot, raw_api.push)
    wait_for_log_lines(bot, [*served, {"update_id": "from the raw answers"}])

    # The fake serves only numeric update_ids (the raw answers above had the others).
    fields = [f for f in WRONG if f != ("update_id",)]

    @settings(max_examples=4, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(payloads=st.lists(wrongly_typed(user, fields), min_size=12, max_size=12))
    def wrongly_typed_batch(payloads: list[dict[str, Any]]) -> None:
        raw_api.push(*payloads)
        stranger.is_answered(bot, raw_api.push)
        wait_for_log_lines(bot, payloads)

    wrongly_typed_batch()

    assert rows(database_url) == stranger.wrote(before)
    assert not raw_api.since(0, "sendMessage", user.user_id)
    assert bot.alive() and "polling continues" in bot.output  # the bad answers were seen, and survived
    assert bot.stop() == 0, bot.output[-3000:]
