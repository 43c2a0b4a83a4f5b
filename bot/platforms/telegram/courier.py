"""The replies to one Telegram message, sent in order, none lost (bot/platforms/handover.py).

Each Bot API call is tried again on a transient failure: a 429 first by python-telegram-bot's rate
limiter (it waits out retry_after, FLOOD_RETRIES times, holding back every call as Telegram wants),
then, like a 5xx, a network fault or a timeout, by `retrying` within the turn's deadline. A reply
still unsent then, and every reply after it, goes to the outbox: the unsent remainder of a long
reply only, so the parts the person has are not sent twice. A refused token stops the turn's
replies with an ERROR; a reply Telegram refuses (a chat that is gone) is logged and skipped.
A timed-out call may have reached Telegram all the same: its retry can then show twice, the price
of never losing it (the same choice as the outbox's, scheduler/delivery.py).

Updates are handled one at a time, so the pauses here hold back other people's updates too, for at
most the deadline: the price of answering a person's messages in the order they were sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

from bot.engine.messages import OutFile, Outbound
from bot.platforms.base import RetryLater, TokenRefused, Undeliverable
from bot.platforms.handover import Deadline, Late, ReplyRetry, retrying, token_refused, turn_key
from bot.platforms.telegram.errors import delivery_error
from bot.platforms.telegram.replies import PLATFORM, Answered, Replies, send_file, text_parts

log = logging.getLogger(__name__)


class Unsent(Exception):
    """What is left of a reply when its retries ran out."""

    def __init__(self, rest: Outbound, cause: RetryLater) -> None:
        super().__init__(str(cause))
        self.rest = rest
        self.cause = cause


@dataclass(frozen=True)
class Courier:
    replies: Replies
    late: Late
    retry: ReplyRetry

    async def deliver(self, bot: Bot, chat_id: str, answered: Answered, event_id: str | None, user_id: str | None) -> None:
        key = turn_key(event_id)
        deadline = Deadline(self.retry)
        queued: list[tuple[int, Outbound]] = []
        cause: RetryLater | None = None
        behind = bool(answered.replies) and await self.late.behind(chat_id)
        for index, reply in enumerate(answered.replies):
            if behind or queued:
                queued.append((index, reply))
                continue
            try:
                await self._send(bot, chat_id, reply, answered.keyboards.get(index), deadline)
            except Unsent as exc:
                queued.append((index, exc.rest))
                cause = exc.cause
            except TokenRefused as exc:
                token_refused(PLATFORM, key, exc)
                return
            except Undeliverable as exc:
                log.warning("telegram: a reply of %s refused: %s", key, exc)
        if queued:
            await self.late.hand_over(
                chat_id, key, queued, user_id=user_id, retry_after=cause.retry_after if cause else None,
                reason=str(cause) if cause else "earlier replies are still in the outbox",
            )

    async def _send(
        self, bot: Bot, chat_id: str, reply: Outbound, keyboard: InlineKeyboardMarkup | None, deadline: Deadline
    ) -> None:
        parts = text_parts(reply)
        for number, part in enumerate(parts):
            last = number == len(parts) - 1
            if last and keyboard is None and reply.options:
                keyboard = await self.replies.keyboard(chat_id, reply, part)

            async def call(part: str = part, markup: InlineKeyboardMarkup | None = keyboard if last else None) -> Message:
                try:
                    return await bot.send_message(chat_id, part, reply_markup=markup)
                except TelegramError as exc:
                    raise delivery_error(exc) from exc

            try:
                await retrying(call, deadline)
            except TokenRefused:
                raise
            except RetryLater as exc:
                raise Unsent(replace(reply, text="\n".join(parts[number:])), exc) from exc
        for index, file in enumerate(reply.files):

            async def upload(file: OutFile = file) -> Message:
                try:
                    return await send_file(bot, chat_id, file)
                except TelegramError as exc:
                    raise delivery_error(exc) from exc

            try:
                await retrying(upload, deadline)
            except TokenRefused:
                raise
            except RetryLater as exc:
                # The text is with the person: only the files from this one on are left.
                raise Unsent(replace(reply, text="", options=(), files=reply.files[index:]), exc) from exc
