"""A stand-in for Slack on 127.0.0.1, for the real slack-bolt app to talk to, both ways.

FakeSlackAPI answers the Web API at http://127.0.0.1:PORT/api/<method> (HELPDESK_SLACK_API_URL) the
way Slack documents it: auth.test, chat.postMessage (a user id as channel lands in that user's DM),
chat.update, views.publish / views.open / views.update, users.info (with a locale per user),
conversations.open, apps.connections.open (Socket Mode, with a WebSocket at /link) and the file
upload of files_upload_v2: files.getUploadURLExternal (a filename and a length are required), a POST
of the bytes to the URL it gave (recorded as method "upload"; an unknown URL is 404, bytes of another
length 400), then files.completeUploadExternal (every file uploaded, a channel id: a user id is
channel_not_found; the file is then in `shared`). It records
every call, checks the bot token, and refuses blocks beyond Block Kit's limits (invalid_blocks), as
Slack does. `fail()` makes chosen calls answer 429 with Retry-After, 500, or an error such as
channel_not_found; `faults()` answers a share of calls, drawn from a seeded random stream, 500 or 429.

It runs on its own thread and event loop, so a test can drive a bot in a child process with plain
blocking calls, and an in-process bot on the test's own loop can use it as well.

SlackPerson builds what Slack sends to the app when a person acts, from the payload examples of
Slack's documentation in tests/fixtures/slack/*.json; SlackRequest signs it exactly as Slack does
(v0 HMAC-SHA256 of "v0:{timestamp}:{body}"). BotProcess runs `helpdesk serve slack --port P`; the
`bot` fixture (in_process_bot) runs the same app in the test's process and event loop, where a test
can hold up its database (Gate, GatedSessions).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, TypeVar

import aiohttp
import pytest
from aiohttp import WSMsgType, web

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"
BOT_TOKEN = "xoxb-0000-test-token"
APP_TOKEN = "xapp-1-test-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM_ID = "T061EG9R6"
IDENTITY = {
    "url": "https://example.slack.com/", "team": "Example", "user": "helpdesk", "team_id": TEAM_ID,
    "user_id": "UBOTHELP01", "bot_id": "BHELPDESK01", "is_enterprise_install": False,
}

T = TypeVar("T")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    token: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def channel(self) -> str | None:
        """Where a posted message landed (a user id given as channel is resolved to the DM)."""
        return self.response.get("channel") or self.params.get("channel")

    @property
    def ts(self) -> str:
        return str(self.response.get("ts") or self.params.get("ts"))

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.params.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else list(blocks)

    @property
    def all_text(self) -> str:
        """The message's text and every section and context text of its blocks."""
        return "\n".join([self.text, texts_of(self.blocks)])

    @property
    def actions(self) -> dict[str, Any] | None:
        """The message's actions block, if it has one."""
        return next((b for b in self.blocks if b.get("type") == "actions"), None)


def texts_of(blocks: list[dict[str, Any]]) -> str:
    """Every section, header and context text of some blocks, one per line."""
    parts = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts.extend(e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str))
    return "\n".join(parts)


@dataclass
class _Failure:
    method: str
    status: int
    error: str
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
class _Upload:
    filename: str
    length: int
    data: bytes | None = None


@dataclass(frozen=True)
class SharedFile:
    """A file the bot shared with files.completeUploadExternal, as Slack would show it."""

    id: str
    channel: str
    name: str
    title: str
    data: bytes
    comment: str


def dm_of(user_id: str) -> str:
    """The id of a person's DM with the bot, as this fake names it."""
    return "D" + user_id[1:]


class FakeSlackAPI:
    def __init__(self, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.port = 0
        self.locales: dict[str, str] = {}  # user id -> users.info locale (default ja-JP)
        self.socket_acks: list[str] = []  # envelope ids the app acknowledged over Socket Mode
        self._lock = threading.Condition()
        self._failures: list[_Failure] = []
        self._faults: _Faults | None = None
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self.views: dict[str, dict[str, Any]] = {}  # view id -> the view as it is now (modals, homes)
        self.shared: list[SharedFile] = []  # files completed into a channel, in order
        self._uploads: dict[str, _Upload] = {}
        self._file_ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._sockets: list[web.WebSocketResponse] = []

    # --- life cycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def start(self) -> FakeSlackAPI:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True, name="fake-slack")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Slack API did not start")
        return self

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_get("/link", self._socket)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
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
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    # --- what a test does

    def fail(
        self, method: str, status: int = 200, *, error: str | None = None, retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` fail: 429 (ratelimited, Retry-After), 500, or a 200 with
        ok: false and `error` (channel_not_found, not_in_channel...), as Slack answers them."""
        default = {429: "ratelimited", 500: "internal_error"}.get(status, "channel_not_found")
        with self._lock:
            self._failures.append(_Failure(method, status, error or default, retry_after, times))

    def faults(
        self, *, p500: float = 0.0, p429: float = 0.0, retry_after: int = 1, seed: int = 0,
        methods: tuple[str, ...] | None = ("chat.postMessage",),
    ) -> None:
        """From now on each call of `methods` (None: every method) answers 500 internal_error with
        probability `p500`, else 429 ratelimited with Retry-After `retry_after` with probability
        `p429`, drawn from a stream seeded with `seed`. A refused call has no effect, as with Slack."""
        with self._lock:
            chosen = frozenset(methods) if methods is not None else None
            self._faults = _Faults(p500, p429, retry_after, chosen, random.Random(seed))

    def heal(self) -> None:
        """No more failures: those left of fail() and the faults() are forgotten."""
        with self._lock:
            self._failures.clear()
            self._faults = None

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls[mark:] if method is None or c.method == method]

    def posts(self, user_id: str, mark: int = 0) -> list[Call]:
        """Messages the bot posted in a person's DM (successfully) after `mark`."""
        return [c for c in self.since(mark, "chat.postMessage") if c.ok and c.channel == dm_of(user_id)]

    def files_to(self, user_id: str) -> list[SharedFile]:
        """Files shared in a person's DM with the bot."""
        with self._lock:
            return [f for f in self.shared if f.channel == dm_of(user_id)]

    def updates(self, user_id: str, mark: int = 0) -> list[Call]:
        return [c for c in self.since(mark, "chat.update") if c.ok and c.channel == dm_of(user_id)]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """A message the bot posted, as it is now (after updates), as Slack puts it in payloads."""
        with self._lock:
            return copy.deepcopy(self._messages[(channel, ts)])

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
                    recent = "\n".join(f"  {c.method} {c.status} {c.text[:100]!r}" for c in self.calls[-15:])
                    raise AssertionError(f"timed out waiting for {what or find}; last calls:\n{recent}")
                self._lock.wait(min(remaining, 0.5))

    def wait_for_post(self, user_id: str, mark: int, where: Callable[[Call], bool] = lambda c: True) -> Call:
        return self.wait_for(
            lambda: next((c for c in self.posts(user_id, mark) if where(c)), None), what=f"a post to {user_id}"
        )

    def socket_send(self, payload: dict[str, Any], kind: str = "events_api") -> str:
        """Deliver a payload over Socket Mode, as Slack wraps it; returns the envelope id."""
        envelope_id = f"env-{next(self._ts)}"
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": False}
        assert self._loop is not None and self._sockets, "no Socket Mode connection"
        socket_ = self._sockets[-1]
        asyncio.run_coroutine_threadsafe(socket_.send_json(envelope), self._loop).result(10)
        return envelope_id

    # --- the Web API

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        token = _bearer(request) or params.pop("token", None)
        # The token first, as Slack does: a call without the right one is refused whatever a test
        # has planned for the method, so no test can pass with a token-less client.
        expected = APP_TOKEN if method == "apps.connections.open" else self.token
        if token != expected:
            return self._answer(Call(method, params, 200, {"ok": False, "error": "invalid_auth" if token else "not_authed"}, token))
        failure = self._take_failure(method)
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            body = {"ok": False, "error": failure.error}
            return self._answer(Call(method, params, failure.status, body, token), headers)
        return self._answer(Call(method, params, 200, self._respond(method, params, request), token))

    def _answer(self, call: Call, headers: dict[str, str] | None = None) -> web.Response:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()
        return web.json_response(call.response, status=call.status, headers=headers)

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
                return _Failure(method, 500, "internal_error", None, 0)
            if draw < faults.p500 + faults.p429:
                return _Failure(method, 429, "ratelimited", faults.retry_after, 0)
        return None

    def _respond(self, method: str, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, **IDENTITY}
        if method == "chat.postMessage":
            return self._post(params)
        if method == "chat.update":
            return self._update(params)
        if method in ("views.publish", "views.open", "views.update"):
            return self._view(method, params)
        if method == "users.info":
            user = str(params.get("user"))
            locale = self.locales.get(user, "ja-JP")
            return {"ok": True, "user": {
                "id": user, "name": user.lower(), "real_name": f"Person {user}", "tz": "Asia/Tokyo",
                "profile": {"display_name": f"person-{user.lower()}", "real_name": f"Person {user}"},
                **({"locale": locale} if str(params.get("include_locale")).lower() in ("true", "1") else {}),
            }}
        if method == "conversations.open":
            users = str(params.get("users", ""))
            return {"ok": True, "channel": {"id": dm_of(users.split(",")[0])}}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        if method == "files.getUploadURLExternal":
            return self._upload_url(params)
        if method == "files.completeUploadExternal":
            return self._complete_upload(params)
        return {"ok": False, "error": "unknown_method"}

    # --- files: files_upload_v2's three steps

    def _upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        length = str(params.get("length") or "")
        if not filename or not length.isdigit() or int(length) <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._file_ids):09d}"
        with self._lock:
            self._uploads[file_id] = _Upload(filename, int(length))
        return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/v1/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: no token (the URL is the permission), the raw bytes as the body."""
        file_id = request.match_info["file_id"]
        data = await request.read()
        call = Call("upload", {"file_id": file_id, "length": len(data)})
        failure = self._take_failure("upload")
        if failure is not None:
            call.status = failure.status
            self._answer(call)
            return web.Response(status=failure.status, text=failure.error)
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None:
                status, text = 404, "not found"
            elif len(data) != upload.length:
                status, text = 400, f"expected {upload.length} bytes, got {len(data)}"
            else:
                upload.data = data
                status, text = 200, f"OK - {len(data)}"
        call.status, call.response = status, {"ok": status == 200}
        self._answer(call)
        return web.Response(status=status, text=text)

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        files = _json(params.get("files"))
        channel = str(params.get("channel_id") or "")
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
            return {"ok": False, "error": "invalid_arguments"}
        if channel and channel[:1] not in ("D", "C", "G"):
            return {"ok": False, "error": "channel_not_found"}
        with self._lock:
            uploads = [(f, self._uploads.get(str(f["id"]))) for f in files]
            if any(u is None or u.data is None for _, u in uploads):
                return {"ok": False, "error": "file_not_found"}
            done = []
            for item, upload in uploads:
                assert upload is not None and upload.data is not None
                file_id = str(item["id"])
                title = str(item.get("title") or upload.filename)
                if channel:
                    comment = str(params.get("initial_comment") or "") if not done else ""
                    self.shared.append(SharedFile(file_id, channel, upload.filename, title, upload.data, comment))
                del self._uploads[file_id]  # completed once: a second completion finds nothing
                done.append({"id": file_id, "name": upload.filename, "title": title, "size": len(upload.data)})
        return {"ok": True, "files": done}

    def _view(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """views.publish (the App Home), views.open (a modal, with a trigger) and views.update (a
        modal by its id, refused with hash_conflict when the given hash is not the view's latest)."""
        view = _json(params.get("view"))
        problems = _view_problems(view) if method != "views.publish" else _block_problems(view.get("blocks", []), 100)
        if problems:
            return {"ok": False, "error": "invalid_blocks" if method == "views.publish" else "invalid_arguments", "errors": problems}
        with self._lock:
            if method == "views.open":
                if not params.get("trigger_id"):
                    return {"ok": False, "error": "invalid_trigger_id"}
                view_id = f"V{next(self._views):08d}"
            elif method == "views.update":
                view_id = str(params.get("view_id"))
                if view_id not in self.views:
                    return {"ok": False, "error": "not_found"}
                if params.get("hash") and params["hash"] != self.views[view_id]["hash"]:
                    return {"ok": False, "error": "hash_conflict"}
            else:
                view_id = f"V{next(self._views):08d}"
            opened = {**view, "id": view_id, "hash": f"{time.time():.6f}.{next(self._views)}", "state": {"values": {}}}
            self.views[view_id] = opened
        return {"ok": True, "view": opened}

    def _post(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if channel[:1] in ("U", "W"):
            channel = dm_of(channel)
        if channel[:1] not in ("D", "C", "G"):
            return {"ok": False, "error": "channel_not_found"}
        blocks = _json(params.get("blocks")) or []
        text = str(params.get("text") or "")
        if not text and not blocks:
            return {"ok": False, "error": "no_text"}
        if len(text) > 40_000:
            return {"ok": False, "error": "msg_too_long"}
        problems = _block_problems(blocks, 50)
        if problems:
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        ts = f"{1_700_000_000 + next(self._ts)}.000100"
        message = {"type": "message", "user": IDENTITY["user_id"], "bot_id": IDENTITY["bot_id"], "text": text, "ts": ts, "blocks": blocks}
        with self._lock:
            self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (str(params.get("channel")), str(params.get("ts")))
        blocks = _json(params.get("blocks")) or []
        problems = _block_problems(blocks, 50)
        if problems:
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        with self._lock:
            if key not in self._messages:
                return {"ok": False, "error": "message_not_found"}
            self._messages[key].update(text=str(params.get("text") or ""), blocks=blocks)
        return {"ok": True, "channel": key[0], "ts": key[1], "text": params.get("text")}

    # --- Socket Mode

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket_ = web.WebSocketResponse()
        await socket_.prepare(request)
        self._sockets.append(socket_)
        await socket_.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0PNCHHK2"}})
        async for frame in socket_:
            if frame.type == WSMsgType.TEXT:
                data = json.loads(frame.data)
                if "envelope_id" in data:
                    with self._lock:
                        self.socket_acks.append(data["envelope_id"])
                        self._lock.notify_all()
        self._sockets.remove(socket_)
        return socket_


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ") if header.startswith("Bearer ") else None


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {}
    return value if value is not None else {}


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        else:
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return params


def _units(text: str) -> int:
    """Length as the stricter of Slack's possible counts (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


_LIMITS = {"section": 3000, "header": 150, "context": 3000, "button": 75, "option": 75, "placeholder": 150}


_MODAL_TEXTS = {"title": 24, "submit": 24, "close": 24}


def _view_problems(view: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a modal (the limits this app can reach)."""
    problems = []
    if view.get("type") != "modal":
        problems.append("not a modal")
    for name, limit in _MODAL_TEXTS.items():
        obj = view.get(name)
        if obj is None and name != "title":
            continue
        if not isinstance(obj, dict) or obj.get("type") != "plain_text" or not 0 < _units(obj.get("text", "")) <= limit:
            problems.append(f"{name}: plain_text of 1 to {limit}")
    if len(view.get("private_metadata", "")) > 3000 or len(view.get("callback_id", "")) > 255:
        problems.append("private_metadata or callback_id too long")
    has_inputs = any(b.get("type") == "input" for b in view.get("blocks", []))
    if has_inputs and "submit" not in view:
        problems.append("inputs without a submit button")
    return problems + _block_problems(view.get("blocks", []), 100)


def _input_problems(block: dict[str, Any]) -> list[str]:
    problems = []
    label = block.get("label") or {}
    if label.get("type") != "plain_text" or not 0 < _units(label.get("text", "")) <= 2000:
        problems.append("input: label of 1 to 2000")
    if "hint" in block and not 0 < _units(block["hint"].get("text", "")) <= 2000:
        problems.append("input: hint of 1 to 2000")
    element = block.get("element") or {}
    kind = element.get("type")
    if kind not in ("plain_text_input", "static_select", "radio_buttons", "checkboxes", "number_input", "datepicker"):
        problems.append(f"input: element {kind!r}")
    if kind == "plain_text_input" and not 0 < element.get("max_length", 3000) <= 3000:
        problems.append("plain_text_input: max_length of 1 to 3000")
    options = element.get("options", [])
    limit = {"radio_buttons": 10, "checkboxes": 10}.get(str(kind), 100)
    if kind in ("static_select", "radio_buttons", "checkboxes") and not 0 < len(options) <= limit:
        problems.append(f"{kind}: 1 to {limit} options")
    for option in options:
        if not 0 < _units(option.get("text", {}).get("text", "")) <= _LIMITS["option"] or len(option.get("value", "")) > 150:
            problems.append("option: text of 1 to 75, value up to 150")
    if "placeholder" in element and not 0 < _units(element["placeholder"].get("text", "")) <= _LIMITS["placeholder"]:
        problems.append("placeholder: 1 to 150")
    return problems


def _block_problems(blocks: list[dict[str, Any]], max_blocks: int) -> list[str]:
    """What Slack would refuse in these blocks (the limits this app can reach)."""
    problems = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks (at most {max_blocks})")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        problems.append("duplicate block_id")

    def text(where: str, obj: dict[str, Any] | None, limit: int) -> None:
        value = (obj or {}).get("text", "")
        if not value or _units(value) > limit:
            problems.append(f"{where}: text of {_units(value)} (1 to {limit})")

    for block in blocks:
        kind = block.get("type")
        if len(block.get("block_id", "")) > 255:
            problems.append("block_id longer than 255")
        if kind in ("section", "header"):
            text(kind, block.get("text"), _LIMITS[kind])
        elif kind == "input":
            problems.extend(_input_problems(block))
        elif kind == "context":
            for element in block.get("elements", []):
                text("context", element, _LIMITS["context"])
        elif kind == "actions":
            elements = block.get("elements", [])
            action_ids = [e.get("action_id") for e in elements]
            if len(elements) > 25 or len(action_ids) != len(set(action_ids)):
                problems.append("actions: too many elements or duplicate action_id")
            for element in elements:
                if element.get("type") == "button":
                    text("button", element.get("text"), _LIMITS["button"])
                if "placeholder" in element:
                    text("placeholder", element["placeholder"], _LIMITS["placeholder"])
                options = element.get("options", [])
                limit = 10 if element.get("type") == "checkboxes" else 100
                if len(options) > limit:
                    problems.append(f"{element.get('type')}: {len(options)} options (at most {limit})")
                for option in options:
                    text("option", option.get("text"), _LIMITS["option"])
                    if len(option.get("value", "")) > 150:
                        problems.append("option value longer than 150")
    return problems


@pytest.fixture
def slack_api() -> Iterator[FakeSlackAPI]:
    api = FakeSlackAPI().start()
    yield api
    api.stop()


# --- what Slack sends to the app


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SlackRequest:
    """A request as Slack sends it: JSON for the Events API; form-encoded for slash commands, and
    `payload=<json>` for interactivity."""

    body: bytes
    content_type: str

    @classmethod
    def event(cls, payload: dict[str, Any]) -> SlackRequest:
        return cls(json.dumps(payload).encode(), "application/json")

    @classmethod
    def form(cls, fields: dict[str, str]) -> SlackRequest:
        return cls(urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded")

    @classmethod
    def interaction(cls, payload: dict[str, Any]) -> SlackRequest:
        return cls.form({"payload": json.dumps(payload)})

    def headers(
        self, *, secret: str = SIGNING_SECRET, timestamp: int | None = None, retry: int | None = None,
    ) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": self.content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(secret, stamp, self.body),
        }
        if retry:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        return headers


@dataclass(frozen=True)
class Delivered:
    status: int
    body: str


def deliver(url: str, request: SlackRequest, headers: dict[str, str] | None = None, **signing: Any) -> Delivered:
    """POST a request to the app (blocking: for an app in another process), signed as `signing`
    says (SlackRequest.headers), or with exactly `headers`."""
    http = urllib.request.Request(url, data=request.body, headers=headers or request.headers(**signing), method="POST")
    try:
        with urllib.request.urlopen(http, timeout=30) as response:
            return Delivered(response.status, response.read().decode())
    except urllib.error.HTTPError as exc:
        return Delivered(exc.code, exc.read().decode())


# Unique across runs too: a database kept between runs (a benchmark on PostgreSQL) has seen earlier ids.
_ids = itertools.count(int(time.time() * 1000) % 10**9)


@dataclass
class SlackPerson:
    """One person in the workspace, and what Slack sends when they act."""

    user_id: str = "U2147483697"
    name: str = "steve"

    @property
    def dm(self) -> str:
        return dm_of(self.user_id)

    def message(self, text: str) -> SlackRequest:
        """message.im: they wrote in their DM with the bot."""
        body = fixture("event_message_im")
        n = next(_ids)
        body["event_id"] = f"Ev{n:010d}"
        ts = f"1355517523.{n % 10**6:06d}"
        body["event"].update(user=self.user_id, channel=self.dm, text=text, ts=ts, event_ts=ts)
        return SlackRequest.event(body)

    def command(self, text: str, channel_id: str | None = None) -> SlackRequest:
        """`/helpdesk <text>`, typed in a channel (by default) or in the DM."""
        fields = fixture("command_helpdesk")
        fields.update(
            user_id=self.user_id, user_name=self.name, text=text, channel_id=channel_id or fields["channel_id"],
            trigger_id=f"13345224609.738474920.{next(_ids):x}",
        )
        return SlackRequest.form(fields)

    def home_opened(self) -> SlackRequest:
        body = fixture("event_app_home_opened")
        body["event_id"] = f"Ev{next(_ids):010d}"
        body["event"].update(user=self.user_id, channel=self.dm)
        return SlackRequest.event(body)

    def shortcut(self, callback_id: str) -> SlackRequest:
        body = fixture("shortcut_global")
        body.update(callback_id=callback_id, trigger_id=f"944799105734.{next(_ids)}")
        body["user"].update(id=self.user_id, username=self.name)
        return SlackRequest.interaction(body)

    def press(self, message: dict[str, Any], channel: str, label: str) -> SlackRequest:
        """Press the button labelled `label`, or choose that option of the select menu, on a message
        the bot posted (`message` as FakeSlackAPI.message gives it)."""
        block, element = _element_with(message, label)
        choice = next((o for o in element.get("options", []) if o["text"]["text"] == label), None)
        if element["type"] == "static_select":
            assert choice is not None
            body = self._action("block_actions_static_select", message, channel)
            body["actions"][0].update(action_id=element["action_id"], block_id=block["block_id"], selected_option=choice)
        else:
            body = self._action("block_actions_button", message, channel)
            body["actions"][0].update(
                action_id=element["action_id"], block_id=block["block_id"], text=element["text"], value=element["value"],
            )
        return SlackRequest.interaction(body)

    def submit(self, message: dict[str, Any], channel: str, labels: list[str]) -> SlackRequest:
        """Tick the checkboxes labelled `labels`, then press the submit button next to them."""
        block = next(b for b in message["blocks"] if b.get("type") == "actions")
        boxes = next(e for e in block["elements"] if e["type"] in ("checkboxes", "multi_static_select"))
        submit = next(e for e in block["elements"] if e["type"] == "button")
        chosen = [o for o in boxes["options"] if o["text"]["text"] in labels]
        assert len(chosen) == len(labels), (labels, [o["text"]["text"] for o in boxes["options"]])
        body = self._action("block_actions_checkboxes_submit", message, channel)
        body["state"] = {"values": {block["block_id"]: {boxes["action_id"]: {"type": boxes["type"], "selected_options": chosen}}}}
        body["actions"][0].update(action_id=submit["action_id"], block_id=block["block_id"], text=submit["text"], value=submit["value"])
        return SlackRequest.interaction(body)

    def submit_view(self, view: dict[str, Any], answers: dict[str, str]) -> SlackRequest:
        """Fill in a modal (`view` as the fake holds it: FakeSlackAPI.views[id]) and press its submit
        button: `answers` maps an input's block_id to the label of the option to choose, or the text
        to type. Inputs not in `answers` are left empty (Slack sends no value for them)."""
        values: dict[str, Any] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            given = answers.get(block["block_id"])
            state: dict[str, Any] = {"type": element["type"]}
            if element["type"] in ("static_select", "radio_buttons"):
                chosen = next((o for o in element["options"] if o["text"]["text"] == given), None)
                assert given is None or chosen is not None, f"no option {given!r} in {block['block_id']}"
                state["selected_option"] = chosen
            else:
                state["value"] = given
            values[block["block_id"]] = {element["action_id"]: state}
        return self.submit_state(view, values)

    def submit_state(self, view: dict[str, Any], values: dict[str, Any]) -> SlackRequest:
        """A view_submission of `view` with exactly `values` as its state (what a forged one may hold)."""
        body = fixture("view_submission")
        body["user"].update(id=self.user_id, username=self.name, name=self.name)
        body["trigger_id"] = f"12321423423.{next(_ids)}"
        body["view"].update(
            id=view["id"], hash=view["hash"], callback_id=view.get("callback_id", ""), blocks=view.get("blocks", []),
            private_metadata=view.get("private_metadata", ""), title=view.get("title"), state={"values": values},
        )
        return SlackRequest.interaction(body)

    def press_home(self, view: dict[str, Any], view_id: str, view_hash: str, label: str) -> SlackRequest:
        """Press a button on the App Home (`view` as the bot published it)."""
        block, element = _element_with(view, label)
        body = fixture("block_actions_button")
        body["user"].update(id=self.user_id, username=self.name, name=self.name)
        body["container"] = {"type": "view", "view_id": view_id}
        body.pop("channel")
        body.pop("message")
        body["view"] = {**view, "id": view_id, "hash": view_hash}
        body["actions"][0].update(action_id=element["action_id"], block_id=block["block_id"], text=element["text"], value=element["value"])
        return SlackRequest.interaction(body)

    def _action(self, name: str, message: dict[str, Any], channel: str) -> dict[str, Any]:
        body = fixture(name)
        body["user"].update(id=self.user_id, username=self.name, name=self.name)
        body["container"].update(message_ts=message["ts"], channel_id=channel)
        body["channel"]["id"] = channel
        body["message"] = message
        body["trigger_id"] = f"12321423423.{next(_ids)}"
        for action in body["actions"]:  # each click has its own time, as Slack sends it
            action["action_ts"] = f"1548426417.{next(_ids):06d}"
        return body


def _element_with(surface: dict[str, Any], label: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for block in surface.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("type") == "button" and element["text"]["text"] == label:
                return block, element
            if any(o["text"]["text"] == label for o in element.get("options", [])):
                return block, element
    raise AssertionError(f"nothing labelled {label!r} in {json.dumps(surface, ensure_ascii=False)[:600]}")


# --- the app in a child process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    """`helpdesk serve slack --port P` in a child process, talking to the fake Web API."""

    def __init__(self, api: FakeSlackAPI, database_url: str, cwd: Path, *, env: dict[str, str] | None = None) -> None:
        self.api = api
        self.port = free_port()
        full_env = {
            key: value for key, value in os.environ.items()
            if key not in ("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
        }
        full_env.update({
            "HELPDESK_DATABASE_URL": database_url,
            "HELPDESK_SLACK_API_URL": api.base_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            **(env or {}),
        })
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "slack", "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=full_env, cwd=cwd,
        )
        self._output: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(stream,), daemon=True)
            for stream in (self.process.stdout, self.process.stderr)
        ]
        for reader in self._readers:
            reader.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def _read(self, stream: Any) -> None:
        for line in stream:
            self._output.append(line)

    @property
    def output(self) -> str:
        return "".join(self._output)

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_until_listening(self, timeout: float = 60) -> BotProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"the bot exited with {self.process.returncode}:\n{self.output}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"the bot did not listen on {self.port}:\n{self.output}")

    def send(self, request: SlackRequest, headers: dict[str, str] | None = None, **signing: Any) -> Delivered:
        if not self.alive():
            raise AssertionError(f"the bot exited with {self.process.returncode}:\n{self.output}")
        return deliver(self.url, request, headers, **signing)

    def wait_for(self, find: Callable[[], T | None], timeout: float = 30, what: str = "") -> T:
        """api.wait_for that gives up at once, with the process's output, if the process ended."""

        def found_or_dead() -> T | None:
            if not self.alive():
                raise AssertionError(f"the bot exited with {self.process.returncode}:\n{self.output}")
            return find()

        return self.api.wait_for(found_or_dead, timeout, what)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, as systemd or docker stop would send; returns the exit code."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        for reader in self._readers:
            reader.join(5)
        return code


# --- the app in this process


@dataclass
class InProcess:
    slack: Any  # bot.platforms.slack.server.SlackApp
    url: str
    http: aiohttp.ClientSession

    async def send(self, request: SlackRequest, **headers: Any) -> tuple[int, str]:
        # The timeout only stops a hung test: an app that waited for the gated database would hang.
        async with self.http.post(
            self.url, data=request.body, headers=request.headers(**headers), timeout=aiohttp.ClientTimeout(total=20)
        ) as response:
            return response.status, await response.text()

    async def settle(self) -> None:
        """Until every turn acknowledged so far has finished."""
        await self.slack.background.idle()


@pytest.fixture(name="bot")
async def in_process_bot(runtime: Any, slack_api: FakeSlackAPI) -> AsyncIterator[InProcess]:
    """The real slack-bolt app on the test's event loop, behind the same HTTP endpoint as
    `helpdesk serve slack`, talking to the fake Web API."""
    async with serving_in_process(runtime, slack_api) as bot:
        yield bot


@asynccontextmanager
async def serving_in_process(runtime: Any, slack_api: FakeSlackAPI, retry: Any = None) -> AsyncIterator[InProcess]:
    """What the `bot` fixture gives, with `retry` (a ReplyRetry) for the replies."""
    from bot.platforms.slack.server import open_slack

    async with aiohttp.ClientSession() as api_http, aiohttp.ClientSession() as http:
        slack = await open_slack(
            runtime, api_http, api_url=slack_api.base_url, bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET,
            retry=retry,
        )
        runner = web.AppRunner(slack.web_app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            yield InProcess(slack, f"http://127.0.0.1:{port}/slack/events", http)
        finally:
            await slack.background.idle()
            await runner.cleanup()


class Gate:
    """Runtime.handle held up until the test opens the gate: a database that does not answer."""

    def __init__(self, handle: Callable[[Any], Awaitable[Any]]) -> None:
        self.handle = handle
        self.opened = asyncio.Event()
        self.finished = 0
        self.finished_before_open = 0

    async def __call__(self, inbound: Any) -> Any:
        await self.opened.wait()
        replies = await self.handle(inbound)
        self.finished += 1
        return replies


class GatedSessions:
    """runtime.sessions whose sessions open only once the test opens the gate: a database that does
    not answer. `asked` records, for each session asked for, how many Web API calls the fake had
    recorded by then, so a test can tell what the app did before it touched the database."""

    def __init__(self, sessions: Any, api: FakeSlackAPI) -> None:
        self.sessions = sessions
        self.api = api
        self.opened = asyncio.Event()
        self.asked: list[int] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _GatedSession(self, self.sessions(*args, **kwargs))

    def begin(self) -> Any:
        return _GatedSession(self, self.sessions.begin())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sessions, name)


class _GatedSession:
    def __init__(self, gate: GatedSessions, inner: Any) -> None:
        self.gate = gate
        self.inner = inner

    async def __aenter__(self) -> Any:
        self.gate.asked.append(self.gate.api.mark())
        await self.gate.opened.wait()
        return await self.inner.__aenter__()

    async def __aexit__(self, *exc: Any) -> Any:
        return await self.inner.__aexit__(*exc)
