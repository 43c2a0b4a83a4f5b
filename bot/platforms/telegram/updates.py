"""Telegram updates -> Inbound, and which group messages are meant for the bot."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from telegram import Message, MessageEntity, Update

from bot.engine.messages import Attachment, Inbound
from bot.platforms.telegram.replies import PLATFORM

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"^/\w+(?:@(\w+))?")
# Telegram's own limit for a message text (captions: 1024); anything longer did not come from it.
MAX_TEXT = 4096


def inbound_from_message(update: Update, *, in_group: bool) -> Inbound | None:
    """None for what no person sent (a channel post has no sender), and for an update whose fields
    are not what the Bot API sends (python-telegram-bot does not check types): ignored, with a log
    line that names the update and the field, never the text."""
    message = update.message
    if message is None or message.from_user is None:
        log.info("update %s ignored: no sender", id_of(update))
        return None
    problem = malformed(update, message)
    if problem is not None:
        log.warning("update %s ignored: %s", id_of(update), problem)
        return None
    user = message.from_user
    return Inbound(
        platform=PLATFORM,
        user_id=str(user.id),
        text=text_of(message),
        chat_id=str(message.chat.id),
        display_name=user.full_name,
        language=user.language_code,
        event_id=str(update.update_id),
        attachments=attachments_of(message),
        in_group=in_group,
    )


def text_of(message: Message) -> str:
    """The text or caption, with the address of each text link beside its label ("label (url)"):
    Telegram sends a link's target only in the entities, and in a phishing report the real
    address is the evidence. Offsets count UTF-16 code units, as the Bot API documents."""
    if message.text is not None:
        text, entities = message.text, message.entities
    else:
        text, entities = message.caption or "", message.caption_entities
    units = text.encode("utf-16-le")
    links = sorted(
        (e.offset + e.length, e.offset, e.url) for e in entities or ()
        if e.type == MessageEntity.TEXT_LINK and _fits(e, len(units) // 2)
    )
    if not links:
        return text
    parts, done = [], 0
    for end, offset, url in links:
        parts.append(_decode(units, done, end))
        if _decode(units, offset, end) != url:
            parts.append(f" ({url})")
        done = max(done, end)
    parts.append(_decode(units, done, len(units) // 2))
    return "".join(parts)


def _decode(units: bytes, start: int, end: int) -> str:
    # "replace": a forged entity may end inside a surrogate pair; Telegram's never do.
    return units[start * 2 : end * 2].decode("utf-16-le", errors="replace")


def _fits(entity: MessageEntity, length: int) -> bool:
    """An entity python-telegram-bot built from the update as it came: its fields are not checked."""
    offset: object = entity.offset
    size: object = entity.length
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (offset, size)):
        return False
    assert isinstance(offset, int) and isinstance(size, int)
    return isinstance(entity.url, str) and bool(entity.url) and 0 <= offset and 0 < size and offset + size <= length


def malformed(update: Update, message: Message) -> str | None:
    """What is wrong with the fields an Inbound is made of (and the date every message has), or None."""
    user = message.from_user
    assert user is not None
    chat_id = message.chat.id if message.chat is not None else None
    numbers = {"update_id": update.update_id, "from.id": user.id, "chat.id": chat_id}
    for name, value in numbers.items():
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{name} is not a number"
    if not isinstance(user.first_name, str):
        return "from.first_name is not a string"
    if not isinstance(message.date, datetime):
        return "date is missing"
    texts = {
        "text": message.text, "caption": message.caption, "from.last_name": user.last_name,
        "from.language_code": user.language_code,
    }
    for name, text in texts.items():
        if text is not None and not isinstance(text, str):
            return f"{name} is not a string"
    for name in ("text", "caption"):
        if len(texts[name] or "") > MAX_TEXT:
            return f"{name} is longer than Telegram allows ({len(texts[name] or '')} characters)"
    return None


def id_of(update: Update) -> str:
    """The update id for a log line; '?' when it is not a number (it came from the payload)."""
    value = update.update_id
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "?"


def attachments_of(message: Message) -> tuple[Attachment, ...]:
    """References only (file ids): the bot never downloads what people send."""
    found = []
    if message.document is not None:
        document = message.document
        found.append(
            Attachment(document.file_name or "document", document.file_id, document.mime_type, document.file_size)
        )
    if message.photo:
        largest = message.photo[-1]
        found.append(Attachment("photo.jpg", largest.file_id, "image/jpeg", largest.file_size))
    return tuple(found)


def addressed_to_bot(message: Message, username: str, bot_id: int) -> bool:
    """In a group: a command without @name or with ours, a reply to one of our messages, or @ours."""
    text = message.text or message.caption or ""
    command = _COMMAND.match(text)
    if command:
        return command.group(1) is None or command.group(1).lower() == username.lower()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    return f"@{username.lower()}" in text.lower()
