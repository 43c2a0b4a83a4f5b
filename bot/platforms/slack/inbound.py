"""Slack payloads as the engine's Inbound: a DM to the bot, and a press on one of our blocks.

De-duplication keys (Inbound.event_id, claimed in the engine's processed_events table):
- an Events API delivery: Slack's event_id, the same on every retry (X-Slack-Retry-Num);
- a press on a message: channel, message ts and block: one question's buttons are processed once,
  however often and however fast they are clicked;
- a press on the App Home: view id, view hash and action: the view gets a new hash each time it is
  published, so its buttons work again after the home is refreshed.
- a slash command: its trigger_id. Slack never redelivers a command, but a captured request can be
  replayed while its signature is fresh (5 minutes); commands carry no event id, and the trigger id
  is unique per invocation and signed with the body.

A payload that does not have the shape Slack documents is ignored with a log line (payloads.py).
"""

from __future__ import annotations

import hashlib
from functools import partial
from dataclasses import dataclass
from typing import Any

from bot.engine.messages import Attachment, Inbound
from bot.platforms.slack import payloads
from bot.platforms.slack.blocks import LASTING, PICK, QUESTION, SUBMIT
from bot.platforms.slack.mrkdwn import plain_text

PLATFORM = "slack"
# Subtypes that are a person's message; edits, deletions, joins and bot posts are not.
_PERSON_SUBTYPES = {None, "file_share"}
_KEY_MAX = 200  # processed_events.event_id


def message_inbound(body: dict[str, Any]) -> Inbound | None:
    """An event_callback with a message someone sent in their DM with the bot, else None."""
    event = body.get("event")
    if not isinstance(event, dict) or event.get("type") != "message":
        return None
    seen = payloads.read(payloads.MessageEvent, event, "message event")
    if seen is None or seen.channel_type != "im" or seen.subtype not in _PERSON_SUBTYPES or seen.bot_id or not seen.user:
        return None
    message = payloads.read(payloads.PersonMessage, event, "message event")
    envelope = payloads.read(payloads.MessageEnvelope, body, "event envelope")
    if message is None or envelope is None:
        return None
    files = tuple(
        Attachment(name=f.name or f.id, platform_ref=f.id, mime_type=f.mimetype, size=f.size) for f in message.files
    )
    return Inbound(
        PLATFORM, message.user, text=plain_text(message.text), chat_id=message.channel,
        event_id=envelope.event_id, attachments=files,
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
        prefix = next((p for p in (QUESTION, LASTING) if self.block_id.startswith(p)), None)
        return self.block_id.removeprefix(prefix) or None if prefix else None

    @property
    def lasting(self) -> bool:
        """Buttons that stay after a press (they show a part, they answer nothing)."""
        return self.block_id.startswith(LASTING)


def press_of(body: dict[str, Any]) -> Press | None:
    """A block_actions payload as a Press; None for what carries no choice (a checkbox tick), and
    for a payload not shaped as Slack sends it (logged)."""
    payload = payloads.read(payloads.BlockActions, body, "block_actions payload")
    if payload is None:
        return None
    action = payload.actions[0]
    if action.action_id == PICK:
        return None  # ticking a box only prepares the answer; the submit button sends it
    if action.action_id == SUBMIT:
        state = payload.state.values.get(action.block_id, {}).get(PICK) if payload.state else None
        chosen = list(state.selected_options or ()) if state else []
    elif action.type == "static_select":
        chosen = [action.selected_option] if action.selected_option else []
    else:
        chosen = [payloads.Option(value=action.value or "", text=action.text)]
    values = tuple(o.value for o in chosen)
    labels = tuple(o.text.text if o.text else "" for o in chosen)
    press = partial(Press, user_id=payload.user.id, action_id=action.action_id, block_id=action.block_id,
                    values=values, labels=labels, trigger_id=payload.trigger_id)
    if payload.container.type == "view":
        view = payload.view
        key = _key(f"home:{view.id if view else None}:{view.hash if view else None}:{action.action_id}")
        return press(key=key, in_home=True)
    channel = payload.container.channel_id or _channel_id(body)
    ts = payload.container.message_ts or (payload.message.ts if payload.message else None)
    message = body.get("message") if payload.message is not None else None
    # A question's block is answered once, however often it is clicked; a lasting block (a filing
    # reply's parts) answers each click, and only a redelivery of the same click is a duplicate.
    click = f":{action.action_id}:{action.action_ts}" if action.block_id.startswith(LASTING) else ""
    return press(key=_key(f"{channel}:{ts}:{action.block_id}{click}"), channel=channel, message_ts=ts, message=message)


def command_key(trigger_id: str) -> str:
    return _key(f"command:{trigger_id}")


def _channel_id(body: dict[str, Any]) -> str | None:
    channel = body.get("channel")
    value = channel.get("id") if isinstance(channel, dict) else None
    return value if isinstance(value, str) else None


def _key(raw: str) -> str:
    return raw if len(raw) <= _KEY_MAX else "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
