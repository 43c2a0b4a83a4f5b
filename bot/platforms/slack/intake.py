"""The HTTP endpoint in front of slack-bolt: only a request Slack could have sent reaches it.

slack-bolt reads a payload's envelope (who, which team, which channel, the kind of request) before
any listener runs, and answers 500 when that envelope is not what it expects: a user that is a
number, a list where an object belongs, a body that is not JSON. So, in order:

1. a body over MAX_BODY gets 413 (aiohttp stops reading it at the limit);
2. a bad or stale signature, or a timestamp that is not a number of seconds, gets 401, as
   slack-bolt would answer it (checked on the raw bytes, so even a body that is not UTF-8 is
   refused for its signature first, and unsigned junk is not logged);
3. a signed body that is not UTF-8, not parseable the way slack-bolt parses it, or whose envelope
   has a value of the wrong type gets 400 and one log line (never the body: it may hold what a person
   typed);
4. everything else goes to slack-bolt, which verifies the signature again and dispatches it.

What the listeners read beyond the envelope is checked by the models in payloads.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any, Callable
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are a few kilobytes; a modal's at most some tens
MAX_DEPTH = 64  # a real payload nests some ten levels (rich text in a message in a payload)
STALE_SECONDS = 5 * 60  # Slack's rule, as slack-bolt applies it
STAMP_DIGITS_MAX = 12

# The envelope: the keys slack-bolt (and our listeners) read, at the top of a payload and inside
# the objects named in _ENVELOPE, with the JSON types Slack documents for them. Elsewhere (blocks,
# legacy attachments, files) the same names may hold other types, and only the depth is checked.
_TEXT_KEYS = frozenset({
    "type", "subtype", "id", "user_id", "team_id", "enterprise_id", "channel_id", "api_app_id",
    "trigger_id", "callback_id", "action_id", "block_id", "view_id", "event_id", "ts", "thread_ts",
    "event_ts", "message_ts", "hash", "private_metadata", "response_url", "command", "channel_type",
    "bot_id", "function_execution_id", "bot_access_token", "app_installed_team_id", "context_team_id",
    "context_enterprise_id", "user_team", "challenge", "token", "tab", "external_id", "ssl_check",
})
_OBJECT_OR_ID_KEYS = frozenset({"user", "team", "channel", "enterprise"})
_OBJECT_KEYS = frozenset({
    "event", "view", "container", "message", "previous_message", "item", "assistant_thread",
    "function_data", "state", "selected_option",
})
_LIST_OF_OBJECTS_KEYS = frozenset({
    "authorizations", "actions", "blocks", "elements", "options", "selected_options", "files", "response_urls",
})
_FLAG_KEYS = frozenset({"is_enterprise_install", "is_ext_shared_channel"})
_ENVELOPE = _OBJECT_OR_ID_KEYS | _OBJECT_KEYS | {"authorizations", "actions", "selected_options", "response_urls"}
# state.values: {block_id: {action_id: element state}}: two levels of ids of ours, then envelope.
_ID_MAP = "values"


# What slack-bolt's matchers and middleware take as given once a payload says what it is.
_STRING = (str,)
_REQUIRED: dict[str, tuple[tuple[tuple[str | int, ...], tuple[type, ...]], ...]] = {
    "event_callback": ((("event", "type"), _STRING),),
    "block_actions": ((("actions", 0, "action_id"), _STRING), (("actions", 0, "block_id"), _STRING)),
    "interactive_message": ((("actions", 0), (dict,)), (("callback_id",), _STRING)),
    "view_submission": ((("view", "callback_id"), _STRING), (("view", "type"), _STRING)),
    "view_closed": ((("view", "callback_id"), _STRING), (("view", "type"), _STRING)),
    "shortcut": ((("callback_id",), _STRING),),
    "message_action": ((("callback_id",), _STRING),),
    "block_suggestion": ((("action_id",), _STRING),),
    "dialog_submission": ((("callback_id",), _STRING),),
    "dialog_cancellation": ((("callback_id",), _STRING),),
    "dialog_suggestion": ((("callback_id",), _STRING),),
    "workflow_step_edit": ((("callback_id",), _STRING),),
}


class Malformed(ValueError):
    """What is wrong, in a few words for the log (never the payload's content)."""


def payload_of(body: str, content_type: str | None) -> dict[str, Any]:
    """The body as slack-bolt will parse it (slack_bolt.request.internals.parse_body, with the
    Content-Type as it reads it), refused where slack-bolt would fail on it."""
    if not body:
        return {}
    try:
        if content_type == "application/json" or body.startswith("{"):
            parsed: Any = json.loads(body)
        elif "payload" in body:
            fields = dict(parse_qsl(body, keep_blank_values=True))
            parsed = json.loads(fields["payload"]) if "payload" in fields else {}
        else:
            parsed = dict(parse_qsl(body, keep_blank_values=True))  # a slash command: strings only
    except RecursionError:
        raise Malformed("nested too deeply") from None
    except ValueError as exc:
        raise Malformed(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(parsed, dict):
        raise Malformed(f"a JSON {type(parsed).__name__}, not an object")
    check_envelope(parsed)
    check_kind(parsed)
    return parsed


def check_kind(payload: dict[str, Any]) -> None:
    """Raise Malformed where a field slack-bolt reads for this kind of payload is missing."""
    for path, types in _REQUIRED.get(str(payload.get("type")), ()):
        node: Any = payload
        for step in path:
            found = isinstance(step, int) and isinstance(node, list) and len(node) > step
            found = found or (isinstance(step, str) and isinstance(node, dict) and step in node)
            if not found:
                raise Malformed(f"{'.'.join(str(part) for part in path)} is missing")
            node = node[step]
        _expect(isinstance(node, types), ".".join(str(part) for part in path), types[0].__name__)


def check_envelope(payload: dict[str, Any]) -> None:
    """Raise Malformed where a key slack-bolt or a listener reads has a value of another type, or
    where the payload nests deeper than any Slack sends (slack-bolt logs unhandled payloads with
    repr(), which a deep enough one would take past the recursion limit)."""
    # (node, path, depth, checked: inside the envelope, ids: levels of id keys still to pass)
    stack: list[tuple[Any, str, int, bool, int]] = [(payload, "", 0, True, 0)]
    while stack:
        node, where, depth, checked, ids = stack.pop()
        if depth > MAX_DEPTH:
            raise Malformed("nested too deeply")
        if isinstance(node, list):
            stack.extend((i, f"{where}[]", depth + 1, checked, ids) for i in node if isinstance(i, (dict, list)))
            continue
        for key, value in node.items():
            path = f"{where}.{key}" if where else str(key)
            if ids:
                _expect(isinstance(value, dict), path, "an object")
                stack.append((value, path, depth + 1, checked, ids - 1))
                continue
            if checked:
                _check_key(key, value, path)
            if isinstance(value, (dict, list)):
                inner = checked and key in _ENVELOPE | {_ID_MAP}
                stack.append((value, path, depth + 1, inner, 2 if inner and key == _ID_MAP else 0))


def _check_key(key: str, value: Any, path: str) -> None:
    if key in _TEXT_KEYS:
        _expect(value is None or isinstance(value, str), path, "a string")
    elif key in _FLAG_KEYS:
        _expect(value is None or isinstance(value, (bool, str)), path, "true or false")
    elif key in _OBJECT_OR_ID_KEYS:
        _expect(value is None or isinstance(value, (str, dict)), path, "an id or an object")
    elif key == "event":
        _expect(isinstance(value, dict), path, "an object")
    elif key in _OBJECT_KEYS:
        _expect(value is None or isinstance(value, dict), path, "an object")
    elif key in _LIST_OF_OBJECTS_KEYS:
        ok = value is None or (isinstance(value, list) and all(isinstance(item, dict) for item in value))
        _expect(ok, path, "a list of objects")
    elif key == _ID_MAP:
        _expect(isinstance(value, dict), path, "an object")


def _expect(ok: bool, path: str, what: str) -> None:
    if not ok:
        raise Malformed(f"{path} is not {what}")


def signed(secret: str, headers: Any, body: bytes, now: float) -> bool:
    """Slack's v0 signature: HMAC-SHA256 of "v0:{timestamp}:{body}", the timestamp at most 5
    minutes off. Computed on the bytes as they came."""
    stamp = str(headers.get("X-Slack-Request-Timestamp", ""))
    signature = str(headers.get("X-Slack-Signature", ""))
    # Seconds since 1970 have 10 digits until the year 2286. A longer string is refused before int():
    # past 308 digits int - float overflows, past 4,300 int() itself refuses, and either was a 500.
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= STAMP_DIGITS_MAX):
        return False
    if abs(now - int(stamp)) > STALE_SECONDS:
        return False
    base = b"v0:" + stamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def web_app(bolt: AsyncApp, signing_secret: str, path: str, clock: Callable[[], float] = time.time) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        if not signed(signing_secret, request.headers, raw, clock()):
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            body = raw.decode("utf-8")
            payload_of(body, request.headers.get("Content-Type", "").split(";")[0] or None)
        except UnicodeDecodeError:
            return _refuse("not UTF-8")
        except Malformed as exc:
            return _refuse(str(exc))
        bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=request.headers)  # type: ignore[arg-type]
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(path, handle)
    return app


def _refuse(problem: str) -> web.Response:
    log.warning("refused a malformed Slack request: %s", problem)
    return web.json_response({"error": "malformed request"}, status=400)


def socket_mode_handler(bolt: AsyncApp, app_token: str) -> Any:
    """Socket Mode's handler with the same envelope check: a payload slack-bolt could not read is
    acknowledged (so Slack does not send it again) and ignored, with a log line."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_sdk.socket_mode.response import SocketModeResponse

    class CheckedHandler(AsyncSocketModeHandler):
        async def handle(self, client: Any, req: Any) -> None:
            try:
                if not isinstance(req.payload, dict):
                    raise Malformed("the payload is not an object")
                check_envelope(req.payload)
            except Malformed as exc:
                log.warning("ignored a malformed Slack payload over Socket Mode: %s", exc)
                await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
                return
            await super().handle(client, req)

    return CheckedHandler(bolt, app_token)
