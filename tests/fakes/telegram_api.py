"""A stand-in for the Telegram Bot API on 127.0.0.1, for the real python-telegram-bot to talk to.

It answers http://127.0.0.1:PORT/bot<token>/<method> the way the Bot API documents it: getMe,
deleteWebhook, setWebhook, setMyCommands; getUpdates from a queue of Update JSON (honouring `offset`,
waiting at most a short while instead of the asked long-poll timeout); and it records sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery and sendDocument (a file uploaded as
multipart/form-data, non-empty, at most 50 MB, or a file_id it gave before; kept in `documents`). `fail()` makes chosen calls answer
429 with parameters.retry_after, 500, 403 or 400 instead; `faults()` answers a share of calls, drawn
from a seeded random stream, 500 or 429.

It runs on its own thread and event loop, so a test can drive a bot in a child process with plain
blocking calls, and an in-process bot on the test's loop can use it as well.

Also here: `TelegramUser`, a person who sends messages and presses buttons through the fake, building
Updates from tests/fixtures/telegram/*.json.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import pytest
from aiohttp import web

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"
TOKEN = "123456:TEST"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Help desk",
    "username": "helpdesk_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Form fields that are strings on the wire; every other field python-telegram-bot sends is JSON.
_STRING_FIELDS = {"text", "callback_query_id", "url", "secret_token", "language_code", "inline_message_id"}
RECORDED = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery", "sendDocument"}
FLOOD_COUNTED = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument"}  # messages, for flood_limit
UPLOAD_LIMIT = 50 * 1024 * 1024  # what the Bot API takes from a bot by multipart upload
CAPTION_LIMIT = 1024
SHORT_POLL = 0.5  # seconds getUpdates waits for an update before answering []

T = TypeVar("T")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200  # what the fake answered
    result: Any = None  # and the result it gave (the Message, for sendMessage)

    @property
    def message_id(self) -> int:
        return int(self.result["message_id"])

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard's buttons, row by row flattened."""
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request, as the bot sent it."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Document:
    """A document the bot sent to a chat."""

    file_id: str
    chat_id: int
    file_name: str
    mime_type: str
    data: bytes = field(repr=False)
    caption: str


@dataclass
class _Failure:
    method: str
    status: int
    description: str
    retry_after: int | None
    times: int


@dataclass
class _Faults:
    p500: float
    p429: float
    retry_after: int
    methods: frozenset[str] | None
    rng: random.Random


@dataclass
class FakeTelegramAPI:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    port: int = 0
    bots: list[BotProcess] = field(default_factory=list)  # child processes talking to this fake
    # Telegram's flood control, when set: more than this many messages (sends and edits) in any
    # second are answered 429 with retry_after 1, as bench/broadcast.py's stand-in does.
    flood_limit: int | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._redeliveries: list[dict[str, Any]] = []
        self._failures: list[_Failure] = []
        self._faults: _Faults | None = None
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids = itertools.count(5000)
        self._file_ids = itertools.count(1)
        self.documents: list[Document] = []
        self._sent_at: deque[float] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._arrived: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle

    @property
    def base_url(self) -> str:
        """HELPDESK_TELEGRAM_API_URL: python-telegram-bot appends the token and the method."""
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> FakeTelegramAPI:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True, name="fake-telegram")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Bot API did not start")
        return self

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._arrived = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def stop(self) -> None:
        """Stop serving (a test may do it early, to make the Bot API unreachable)."""
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    # --- what a test does

    def push(self, *updates: dict[str, Any]) -> None:
        """Queue updates for getUpdates."""
        with self._lock:
            self._updates.extend(copy.deepcopy(u) for u in updates)
        self._wake()

    def redeliver(self, update: dict[str, Any]) -> None:
        """Serve an update once more even though its update_id was confirmed: what Telegram does
        when a bot restarts before confirming, or a webhook answered too late."""
        with self._lock:
            self._redeliveries.append(copy.deepcopy(update))
        self._wake()

    def fail(
        self, method: str, status: int, *, retry_after: int | None = None, times: int = 1,
        description: str | None = None,
    ) -> None:
        """The next `times` calls of `method` answer an error, as the Bot API would."""
        default = {
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: chat not found",
        }.get(status, "Error")
        with self._lock:
            self._failures.append(_Failure(method, status, description or default, retry_after, times))

    def faults(
        self, *, p500: float = 0.0, p429: float = 0.0, retry_after: int = 1, seed: int = 0,
        methods: tuple[str, ...] | None = ("sendMessage",),
    ) -> None:
        """From now on each call of `methods` (None: every method) answers 500 with probability
        `p500`, else 429 with `retry_after` with probability `p429`, drawn from a stream seeded
        with `seed`. A refused call has no effect, as with Telegram."""
        with self._lock:
            chosen = frozenset(methods) if methods is not None else None
            self._faults = _Faults(p500, p429, retry_after, chosen, random.Random(seed))

    def heal(self) -> None:
        """No more failures: those left of fail() and the faults() are forgotten."""
        with self._lock:
            self._failures.clear()
            self._faults = None

    def mark(self) -> int:
        """A position in the call log: `since(mark)` gives what came after it."""
        with self._lock:
            return len(self.calls)

    def since(self, mark: int, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            found = self.calls[mark:]
        return [
            c for c in found
            if (method is None or c.method == method) and (chat_id is None or c.chat_id == chat_id)
        ]

    def wait_for(self, find: Callable[[], T | None], timeout: float = 30, what: str = "") -> T:
        """Block until `find()` returns something; fail with the calls so far after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = find()
                if found:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = "\n".join(f"  {c.method} {c.status} {c.text[:80]!r}" for c in self.calls[-15:])
                    raise AssertionError(f"timed out waiting for {what or find}; last calls:\n{recent}")
                self._lock.wait(min(remaining, 0.5))  # also re-checks conditions the API does not see

    def wait_for_call(
        self, method: str, mark: int = 0, where: Callable[[Call], bool] = lambda c: True, timeout: float = 30
    ) -> Call:
        def find() -> Call | None:
            return next((c for c in self.calls[mark:] if c.method == method and c.status == 200 and where(c)), None)

        return self.wait_for(find, timeout, what=method)

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """A message the bot sent, as it is now (after edits)."""
        with self._lock:
            return copy.deepcopy(self._messages[(chat_id, message_id)])

    # --- the server

    def _wake(self) -> None:
        if self._loop is not None and self._arrived is not None:
            self._loop.call_soon_threadsafe(self._arrived.set)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await _params(request)
        if method in FLOOD_COUNTED and self._over_flood_limit():
            self._record(Call(method, params, 429))
            return _error(429, "Too Many Requests: retry after 1", parameters={"retry_after": 1})
        failure = self._take_failure(method)
        if failure is not None:
            self._record(Call(method, params, failure.status))
            extra = {"parameters": {"retry_after": failure.retry_after}} if failure.retry_after else {}
            return _error(failure.status, failure.description, **extra)
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        answer = self._answer(method, params)
        if isinstance(answer, web.Response):
            self._record(Call(method, params, answer.status))
            return answer
        self._record(Call(method, params, result=answer))
        return _ok(answer)

    def _over_flood_limit(self) -> bool:
        if self.flood_limit is None:
            return False
        now = time.monotonic()
        with self._lock:
            while self._sent_at and self._sent_at[0] <= now - 1.0:
                self._sent_at.popleft()
            if len(self._sent_at) >= self.flood_limit:
                return True
            self._sent_at.append(now)
        return False

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method == method and failure.times > 0:
                    failure.times -= 1
                    return failure
            faults = self._faults
            if faults is None or (faults.methods is not None and method not in faults.methods):
                return None
            draw = faults.rng.random()
            if draw < faults.p500:
                return _Failure(method, 500, "Internal Server Error", None, 0)
            if draw < faults.p500 + faults.p429:
                retry = faults.retry_after
                return _Failure(method, 429, f"Too Many Requests: retry after {retry}", retry, 0)
        return None

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert self._arrived is not None
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), SHORT_POLL)
        deadline = time.monotonic() + wait
        call = Call("getUpdates", dict(params), result=[])
        self._record(call)
        while True:
            self._arrived.clear()
            with self._lock:
                # Updates below the offset are confirmed: Telegram forgets them.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                batch = (self._redeliveries + self._updates)[:limit]
                self._redeliveries = self._redeliveries[len(batch):]
                if batch:
                    call.result = [u["update_id"] for u in batch]
                    self._lock.notify_all()
                    return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                return []

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("deleteWebhook", "setWebhook", "setMyCommands", "answerCallbackQuery", "deleteMyCommands"):
            return True
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method == "sendMessage":
            return self._send(params)
        if method == "sendDocument":
            return self._send_document(params)
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._edit(method, params)
        return _error(400, f"Bad Request: the fake Bot API does not know {method}")

    def _send(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        text = str(params.get("text", ""))
        if not text:
            return _error(400, "Bad Request: message text is empty")  # type: ignore[return-value]
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")  # type: ignore[return-value]
        message = {
            "message_id": next(self._message_ids),
            "from": BOT_USER,
            "chat": _chat(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        with self._lock:
            self._messages[(chat_id, message["message_id"])] = message
        return message

    def _send_document(self, params: dict[str, Any]) -> Any:
        if "chat_id" not in params:
            return _error(400, "Bad Request: chat_id is empty")
        chat_id = int(params["chat_id"])
        document = params.get("document")
        caption = str(params.get("caption") or "")
        if len(caption) > CAPTION_LIMIT:
            return _error(400, "Bad Request: message caption is too long")
        with self._lock:
            if isinstance(document, str):  # a file_id sent before; this fake fetches no URL
                known = next((d for d in self.documents if d.file_id == document), None)
                if known is None:
                    return _error(400, "Bad Request: wrong file identifier/HTTP URL specified")
                upload = Upload(known.file_name, known.mime_type, known.data)
            elif isinstance(document, Upload):
                upload = document
            else:
                return _error(400, "Bad Request: there is no document in the request")
            if not upload.data:
                return _error(400, "Bad Request: file must be non-empty")
            if len(upload.data) > UPLOAD_LIMIT:
                return _error(413, "Request Entity Too Large")
            file_id = f"BQACAgIAAxkBAAI{next(self._file_ids):06d}"
            self.documents.append(Document(file_id, chat_id, upload.filename, upload.content_type, upload.data, caption))
            message = {
                "message_id": next(self._message_ids), "from": BOT_USER, "chat": _chat(chat_id), "date": int(time.time()),
                "document": {"file_id": file_id, "file_unique_id": f"u{file_id[-6:]}", "file_name": upload.filename,
                             "mime_type": upload.content_type, "file_size": len(upload.data)},
                **({"caption": caption} if caption else {}),
            }
            self._messages[(chat_id, message["message_id"])] = message
        return message

    def documents_to(self, chat_id: int) -> list[Document]:
        with self._lock:
            return [d for d in self.documents if d.chat_id == chat_id]

    def _edit(self, method: str, params: dict[str, Any]) -> Any:
        key = (int(params["chat_id"]), int(params["message_id"]))
        with self._lock:
            message = self._messages.get(key)
            if message is None:
                return _error(400, "Bad Request: message to edit not found")
            updated = dict(message)
            if method == "editMessageText":
                updated["text"] = params["text"]
            updated.pop("reply_markup", None)
            if params.get("reply_markup"):
                updated["reply_markup"] = params["reply_markup"]
            if updated == message:
                return _error(400, "Bad Request: message is not modified")
            self._messages[key] = updated
        return updated


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": "Incident group"}
    return {"id": chat_id, "type": "private", "first_name": "Person"}


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    form = await request.post()
    params: dict[str, Any] = {}
    for name, value in form.items():
        if isinstance(value, web.FileField):
            params[name] = Upload(value.filename, value.content_type, value.file.read())
            continue
        if not isinstance(value, str):
            continue
        if name in _STRING_FIELDS:
            params[name] = value
            continue
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    return params


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, **extra: Any) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description, **extra}, status=status)


@pytest.fixture
def telegram_api() -> Iterator[FakeTelegramAPI]:
    api = FakeTelegramAPI().start()
    yield api
    for bot in api.bots:  # a test that failed half-way leaves no bot process behind
        bot.kill()
    api.stop()


# --- Updates, built from the Bot API's examples in tests/fixtures/telegram

_update_ids = itertools.count(700_000_000)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def next_update_id() -> int:
    return next(_update_ids)


@dataclass
class TelegramUser:
    """One person using Telegram: their user and private chat, and what they send through the fake."""

    api: FakeTelegramAPI
    user_id: int = 1111111
    first_name: str = "Taro"
    language_code: str = "ja"

    @property
    def user(self) -> dict[str, Any]:
        return {
            "id": self.user_id, "is_bot": False, "first_name": self.first_name,
            "username": f"user{self.user_id}", "language_code": self.language_code,
        }

    def text_update(self, text: str, chat: dict[str, Any] | None = None, **message: Any) -> dict[str, Any]:
        update = fixture("message_text")
        update["update_id"] = next_update_id()
        update["message"].update(
            message_id=next_update_id(), **{"from": self.user}, text=text,
            chat=chat or {"id": self.user_id, "first_name": self.first_name, "type": "private"}, **message,
        )
        if text.startswith("/"):
            command = text.split()[0]
            update["message"]["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
        return update

    def press_update(self, sent: Call, button_text: str) -> dict[str, Any]:
        """Press the button labelled `button_text` (or whose label contains it) of a message the
        bot sent."""
        button = next((b for b in sent.buttons if b["text"] == button_text), None)
        button = button or next((b for b in sent.buttons if button_text in b["text"]), None)
        assert button is not None, f"no button {button_text!r} in {[b['text'] for b in sent.buttons]}"
        message_id = sent.message_id
        update = fixture("callback_query")
        update["update_id"] = next_update_id()
        query = update["callback_query"]
        query.update(id=str(next_update_id()), data=button["callback_data"], **{"from": self.user})
        query["message"] = self.api.message(int(sent.params["chat_id"]), message_id)
        return update

    def send(self, text: str) -> int:
        """Send a private message; returns the log mark to look for the bot's answers after."""
        mark = self.api.mark()
        self.api.push(self.text_update(text))
        return mark

    def press(self, sent: Call, button_text: str) -> int:
        mark = self.api.mark()
        self.api.push(self.press_update(sent, button_text))
        return mark

    def reply(self, mark: int, where: Callable[[Call], bool] = lambda c: True) -> Call:
        """Wait for a message the bot sent to this person after `mark`."""
        return self.api.wait_for_call("sendMessage", mark, lambda c: c.chat_id == self.user_id and where(c))

    def answers(self, mark: int) -> list[Call]:
        return [c for c in self.api.since(mark, "sendMessage", self.user_id) if c.status == 200]



class BotProcess:
    """`helpdesk serve telegram` in a child process, talking to the fake Bot API."""

    def __init__(self, api: FakeTelegramAPI, database_url: str, cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.api = api
        full_env = {
            **os.environ,
            "HELPDESK_DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": api.token,
            "HELPDESK_TELEGRAM_API_URL": api.base_url,
            **(env or {}),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "telegram", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=full_env, cwd=cwd,
        )
        self._output: list[str] = []
        api.bots.append(self)
        self._readers = [
            threading.Thread(target=self._read, args=(stream,), daemon=True)
            for stream in (self.process.stdout, self.process.stderr)
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self._output.append(line)

    @property
    def output(self) -> str:
        """Everything the process printed (stdout and stderr)."""
        return "".join(self._output)

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_for(self, find: Callable[[], T | None], timeout: float = 30, what: str = "") -> T:
        """api.wait_for that gives up at once, with the process's output, if the process ended."""

        def found_or_dead() -> T | None:
            if not self.alive():
                raise AssertionError(f"the bot exited with {self.process.returncode}:\n{self.output}")
            return find()

        return self.api.wait_for(found_or_dead, timeout, what)

    def wait_until_polling(self) -> None:
        self.wait_for(lambda: any(c.method == "getUpdates" for c in self.api.calls), what="first getUpdates")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, as systemd or docker stop would send; returns the exit code."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        for reader in self._readers:
            reader.join(5)
        return code

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait(10)
