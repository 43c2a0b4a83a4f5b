"""Inline keyboards whose callback data is a short server-side key.

Telegram allows 64 bytes of callback data, and question refs ("12:business_processes[3].rto") and
option values can be longer. So each keyboard gets one row in `callback_keys`, holding the question
ref, the options, the question text (to show the chosen answer in place) and, for a multi-choice
question, the options toggled so far. A button's data is "<key>:<option index>" or "<key>:done": at
most 22 bytes whatever the content says. A reply's keyboard is written in the transaction of the
answer it follows (Replies.handle, through Runtime.handle's before_commit): it exists exactly when
that answer was committed, and costs an INSERT rather than a transaction of its own.

A keyboard without a question ref (a notice offering, say, /hearing) sends the value of the pressed
option as if it had been typed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.engine.messages import Outbound
from bot.store.core import table_of
from bot.store.models import CallbackKey

DONE = "done"
MAX_CALLBACK_BYTES = 64  # Bot API limit for callback_data
KEY_ENTROPY_BYTES = 12  # token_urlsafe(12) is 16 characters: unguessable, and fits String(24)
SELECTED, NOT_SELECTED = "\u2705", "\u2b1c"  # check mark and white square, shown before a toggled option


@dataclass(frozen=True)
class Press:
    key: str
    action: str  # an option index, or DONE


def callback_data(key: str, action: str) -> str:
    return f"{key}:{action}"


def parse_callback_data(data: str | None) -> Press | None:
    if not isinstance(data, str) or ":" not in data:  # a forged update may carry any JSON here
        return None
    key, action = data.split(":", 1)
    if not key or not (action == DONE or action.isdecimal()):
        return None
    return Press(key, action)


def new_payload(message: Outbound, chat_id: str, shown_text: str) -> dict[str, Any]:
    return {
        "ref": message.question_ref,
        "chat": chat_id,
        "text": shown_text,
        "multi": message.multi,
        "options": [[c.value, c.label] for c in message.options],
        "selected": [],
        "lasting": message.lasting,
    }


_STORE_KEYBOARD = table_of(CallbackKey).insert()


async def store_keyboard_in(session: AsyncSession, payload: dict[str, Any], now: datetime) -> str:
    """In the caller's transaction: one plain INSERT (one keyboard goes with most replies)."""
    key = secrets.token_urlsafe(KEY_ENTROPY_BYTES)
    await session.execute(_STORE_KEYBOARD, {"key": key, "payload": payload, "created_at": now})
    return key


def markup(key: str, payload: dict[str, Any], done_label: str | None) -> InlineKeyboardMarkup:
    """One option per row: labels are sentences, and a row of several would cut them short."""
    selected = set(payload.get("selected", ()))
    rows = []
    for index, (value, label) in enumerate(payload["options"]):
        if payload["multi"]:
            label = f"{SELECTED if value in selected else NOT_SELECTED} {label}"
        rows.append([InlineKeyboardButton(label, callback_data=callback_data(key, str(index)))])
    if payload["multi"]:
        if done_label is None:
            raise ValueError("a multi-choice keyboard needs the label of its done button")
        rows.append([InlineKeyboardButton(done_label, callback_data=callback_data(key, DONE))])
    return InlineKeyboardMarkup(rows)


def toggled(payload: dict[str, Any], index: int) -> dict[str, Any] | None:
    """A new payload with option `index` flipped (a new dict, so the JSON column sees the change)."""
    options = payload["options"]
    if not 0 <= index < len(options):
        return None
    value = options[index][0]
    selected = list(payload.get("selected", ()))
    selected = [v for v in selected if v != value] if value in selected else [*selected, value]
    # Kept in the question's order, which is the order the engine stores them in.
    order = [v for v, _ in options]
    return {**payload, "selected": sorted(selected, key=order.index)}


def labels_of(payload: dict[str, Any], values: list[str]) -> list[str]:
    names = {value: label for value, label in payload["options"]}
    return [names[v] for v in values if v in names]
