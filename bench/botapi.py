"""The Telegram Bot API answered in process, for the benches that drive python-telegram-bot's
Application directly (bench/engine.py, bench/peak.py): a BaseRequest that returns what Telegram
would, with the request encoded as HTTPXRequest encodes it, but no socket.

Optionally it enforces Telegram's flood limit as broadcast.py's stand-in does: more than `limit`
messages (sendMessage and the edits) in the last second are answered 429 with retry_after, which
the bot's rate limiter and retries must absorb. It can keep a log of what it accepted, with times,
so a bench can tell which reply a person saw when, and whether one came twice.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Help desk", "username": "helpdesk_bench_bot"}
MESSAGES = {"sendMessage", "editMessageText", "editMessageReplyMarkup"}  # what the flood limit counts
RETRY_AFTER = 1  # seconds, as Telegram answers a short burst


@dataclass(frozen=True)
class Accepted:
    at: float  # time.perf_counter()
    method: str
    chat_id: int | None
    text: str
    message: dict[str, Any] | None  # the Message returned (with its reply_markup), for a later press


class LocalBotAPI(BaseRequest):
    def __init__(self, *, limit: float | None = None, keep: bool = False) -> None:
        self.limit = limit
        self.keep = keep
        self.message_ids = itertools.count(1)
        self.calls: dict[str, int] = {}
        self.refused = 0  # answered 429 by the flood limit
        self.log: list[Accepted] = []
        self._window: deque[float] = deque()

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, read_timeout: Any = None,
        write_timeout: Any = None, connect_timeout: Any = None, pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        self.calls[name] = self.calls.get(name, 0) + 1
        params: dict[str, Any] = dict(request_data.parameters) if request_data is not None else {}
        if request_data is not None:
            request_data.json_parameters  # noqa: B018 - the encoding a real request pays for
        now = time.perf_counter()
        if name in MESSAGES and self._over_limit(now):
            self.refused += 1
            body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {RETRY_AFTER}",
                    "parameters": {"retry_after": RETRY_AFTER}}
            return 429, json.dumps(body).encode()
        message: dict[str, Any] | None = None
        if name == "getMe":
            result: Any = BOT_USER
        elif name in ("sendMessage", "editMessageText"):
            message = {
                "message_id": int(params.get("message_id") or next(self.message_ids)), "from": BOT_USER,
                "date": int(time.time()), "text": params.get("text", ""),
                "chat": {"id": int(params["chat_id"]), "type": "private", "first_name": "Bench"},
            }
            if params.get("reply_markup"):
                markup = params["reply_markup"]
                message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
            result = message
        else:
            result = True
        if self.keep and name != "getMe":
            chat = params.get("chat_id")
            self.log.append(Accepted(now, name, int(chat) if chat is not None else None, str(params.get("text", "")), message))
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _over_limit(self, now: float) -> bool:
        if self.limit is None:
            return False
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        if len(self._window) >= self.limit:
            return True
        self._window.append(now)
        return False
