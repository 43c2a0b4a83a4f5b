"""getUpdates answers read one update at a time, so that one unreadable update cannot jam polling.

python-telegram-bot parses a getUpdates batch as a whole: when one update fails to parse (a field of
an unexpected type), the whole batch is dropped without confirming it, and the next getUpdates asks
for the same batch at once, forever: nobody is answered again, and every round logs the raw updates.
Here each update is tried first; one that cannot be read is replaced by an empty update with its
update_id (which no handler takes), logged by id and reason only, and so confirmed like any other.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)


class ReadableUpdates(HTTPXRequest):
    """The request python-telegram-bot uses for getUpdates (only), with the answer made readable."""

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, payload = await super().do_request(url, method, *args, **kwargs)
        if status != 200 or not url.endswith("/getUpdates"):
            return status, payload
        return status, readable(payload)


def readable(payload: bytes) -> bytes:
    """The payload with every update python-telegram-bot can read, and empty ones in place of the
    rest. A payload that is not a getUpdates answer at all is left alone: the library reports it as
    an invalid server response and polls again after a pause."""
    try:
        body = json.loads(payload)
    except ValueError:
        return payload
    if not isinstance(body, dict) or not isinstance(body.get("result"), list):
        return payload
    kept: list[Any] = []
    changed = False
    for item in body["result"]:
        update_id = item.get("update_id") if isinstance(item, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            # Nothing to confirm it by; a later update's confirmation drops it at Telegram too.
            log.warning("update ? ignored: getUpdates gave an update without a numeric update_id")
            changed = True
            continue
        try:
            Update.de_json(item, None)
        except Exception as exc:  # noqa: BLE001 - whatever the library trips on, the update is unreadable
            log.warning("update %d ignored: unreadable (%s)", update_id, type(exc).__name__)
            item, changed = {"update_id": update_id}, True
        kept.append(item)
    if not changed:
        return payload
    body["result"] = kept
    return json.dumps(body).encode()
