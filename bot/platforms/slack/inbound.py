"""Slack payloads as the engine's Inbound: a DM to the bot, and a press on one of our blocks.

De-duplication keys (Inbound.event_id, claimed in the engine's processed_events table):
- an Events API delivery: Slack's event_id, the same on every retry (X-Slack-Retry-Num);
- a press on a message: channel, message ts and block: one question's buttons are processed once,
  however often and however fast they are clicked;
- a press on the App Home: view id, view hash and action: the view gets a new hash each time it is
  published, so its buttons work again after the home is refreshed.
Slash commands carry no key: Slack never redelivers them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from bot.engine.messages import Attachment, Inbound
from bot.platforms.slack.blocks import PICK, QUESTION, SUBMIT
from bot.platforms.slack.mrkdwn import plain_text

PLATFORM = "slack"
# Subtypes that are a person's message; edits, deletions, joins and bot posts are not.
_PERSON_SUBTYPES = {None, "file_share"}
_KEY_MAX = 200  # processed_events.event_id


def message_inbound(body: dict[str, Any]) -> Inbound | None:
    """An event_callback with a message someone sent in their DM with the bot, else None."""
    event = body.get("event") or {}
    if event.get("type") != "message" or event.get("channel_type") != "im":
        return None
    if event.get("subtype") not in _PERSON_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return None
    files = tuple(
        Attachment(name=f.get("name") or f["id"], platform_ref=f["id"], mime_type=f.get("mimetype"), size=f.get("size"))
        for f in event.get("files") or () if f.get("id")
    )
    return Inbound(
        PLATFORM, event["user"], text=plain_text(event.get("text") or ""), chat_id=event.get("channel"),
        event_id=body.get("event_id"), attachments=files,
    )


@dataclass(frozen=True)
class Press:
    """A click on one of our interactive blocks."""

    user_id: str
    action_id: str
    block_id: str
    values: tuple[str, ...]  # the chosen option values (several for a submitted checkbox set)
    labels: tuple[str, ...]  # and their labels, as shown on the buttons
    key: str  # for de-duplication
    trigger_id: str | None
    channel: str | None = None  # a press on a message: where it is...
    message_ts: str | None = None
    message: dict[str, Any] | None = None  # ...and the message as the person saw it
    in_home: bool = False

    @property
    def question_ref(self) -> str | None:
        ref = self.block_id.removeprefix(QUESTION) if self.block_id.startswith(QUESTION) else ""
        return ref or None


def press_of(body: dict[str, Any]) -> Press | None:
    """A block_actions payload as a Press; None for what carries no choice (a checkbox tick)."""
    actions = body.get("actions") or []
    user = (body.get("user") or {}).get("id")
    if not actions or not user:
        return None
    action = actions[0]
    action_id = action.get("action_id", "")
    block_id = action.get("block_id", "")
    if action_id == PICK:
        return None  # ticking a box only prepares the answer; the submit button sends it
    if action_id == SUBMIT:
        state = ((body.get("state") or {}).get("values") or {}).get(block_id, {}).get(PICK) or {}
        chosen = list(state.get("selected_options") or ())
    elif action.get("type") == "static_select":
        chosen = [action["selected_option"]] if action.get("selected_option") else []
    else:
        chosen = [{"value": action.get("value", ""), "text": action.get("text") or {}}]
    values = tuple(str(o.get("value", "")) for o in chosen)
    labels = tuple(str((o.get("text") or {}).get("text", "")) for o in chosen)
    container = body.get("container") or {}
    common = {"user_id": user, "action_id": action_id, "block_id": block_id, "values": values,
              "labels": labels, "trigger_id": body.get("trigger_id")}
    if container.get("type") == "view":
        view = body.get("view") or {}
        key = _key(f"home:{view.get('id')}:{view.get('hash')}:{action_id}")
        return Press(**common, key=key, in_home=True)
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return Press(
        **common, key=_key(f"{channel}:{ts}:{block_id}"), channel=channel, message_ts=ts,
        message=body.get("message"),
    )


def _key(raw: str) -> str:
    return raw if len(raw) <= _KEY_MAX else "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
