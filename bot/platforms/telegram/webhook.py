"""The webhook endpoint: an aiohttp server of our own in front of the Application's update queue
(python-telegram-bot's "custom webhook" pattern), instead of the library's tornado one.

Why not the library's: it parses the body outside its error handling, so a body that is not JSON or
not UTF-8 got a 500 with a DEBUG line only, and `{}` got a 200 with no line at all (bench/README.md,
fuzzing). Here every request that is not an update Telegram could have sent gets a 4xx and a log
line naming the problem (never the text); an update goes on `application.update_queue`, and the
Application handles it exactly as a polled one, in order.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's messages are at most 4096 characters; a few MB leaves room for any update it sends
# (and for the fuzz suite's 1 MB text), while a larger body is refused with 413 before it is read.
MAX_BODY = 4 * 1024 * 1024


def webhook_app(application: Application, path: str, secret: str) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):  # constant time: no guessing by timing
            log.warning("webhook request refused: missing or wrong secret token")
            return web.Response(status=403)
        try:
            data: Any = json.loads(await request.read())  # bytes: a body that is not UTF-8 is a ValueError too
        except ValueError:
            log.warning("webhook request refused: the body is not JSON")
            return web.Response(status=400, text="not JSON")
        if not isinstance(data, dict):
            log.warning("webhook request refused: the body is JSON but not an object")
            return web.Response(status=400, text="not an update")
        try:
            update = Update.de_json(data, application.bot)
        except Exception as exc:  # noqa: BLE001 - the library does not check the JSON's shape itself
            log.warning("webhook update %s refused: python-telegram-bot cannot read it (%s)",
                        _id_of(data), type(exc).__name__)
            return web.Response(status=400, text="not an update")
        await application.update_queue.put(update)
        return web.Response(status=200)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/" + path.strip("/"), receive)
    return app


def _id_of(data: dict[str, Any]) -> str:
    update_id = data.get("update_id")
    return str(update_id) if isinstance(update_id, int) and not isinstance(update_id, bool) else "?"
