"""Telegram updates -> Inbound, and which group messages are meant for the bot."""

from __future__ import annotations

import re

from telegram import Message, Update

from bot.engine.messages import Attachment, Inbound
from bot.platforms.telegram.replies import PLATFORM

_COMMAND = re.compile(r"^/\w+(?:@(\w+))?")


def inbound_from_message(update: Update, *, in_group: bool) -> Inbound | None:
    """None for what no person sent (a channel post has no sender)."""
    message = update.message
    if message is None or message.from_user is None:
        return None
    user = message.from_user
    return Inbound(
        platform=PLATFORM,
        user_id=str(user.id),
        text=message.text or message.caption or "",
        chat_id=str(message.chat.id),
        display_name=user.full_name,
        language=user.language_code,
        event_id=str(update.update_id),
        attachments=attachments_of(message),
        in_group=in_group,
    )


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
