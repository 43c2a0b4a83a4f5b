"""TelegramSender: the delivery worker's way to push one notice to one Telegram chat.

Errors become the Sender contract's outcomes (errors.py): RetryLater (429 with its retry_after, 5xx,
network faults), TokenRefused (401: the bot token itself) or Undeliverable (the person blocked the
bot, the chat does not exist or moved, a request Telegram will never accept). A 429 is not slept on
here: the worker decides when to retry, and other chats' notices go on meanwhile.

Use as `async with telegram_sender(app) as sender:` (the Bot needs initialising). A text longer than
one Telegram message goes out in parts; when a later part fails, a retry sends the earlier ones again.
"""

from __future__ import annotations

from types import TracebackType

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ExtBot

from bot.app import App
from bot.config import SettingsError
from bot.engine.messages import Outbound
from bot.platforms.telegram.errors import delivery_error
from bot.platforms.telegram.replies import PLATFORM, Replies


class TelegramSender:
    platform = PLATFORM

    def __init__(self, bot: Bot, replies: Replies) -> None:
        self.bot = bot
        self.replies = replies

    async def __aenter__(self) -> TelegramSender:
        await self.bot.initialize()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.bot.shutdown()

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        try:
            sent = await self.replies.send(self.bot, chat_id, message)
        except TelegramError as exc:
            raise delivery_error(exc) from exc
        return str(sent.message_id)


def telegram_sender(app: App) -> TelegramSender:
    """A Bot of its own: the rate limiter spaces sends under Telegram's limits but retries nothing."""
    token = app.settings.telegram_bot_token
    if token is None:
        raise SettingsError("TELEGRAM_BOT_TOKEN is not set")
    bot = ExtBot(token.get_secret_value(), base_url=app.settings.telegram_api_url, rate_limiter=AIORateLimiter())
    return TelegramSender(bot, Replies(app.sessions, app.content.book))
