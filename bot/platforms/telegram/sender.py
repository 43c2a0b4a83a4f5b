"""TelegramSender: the delivery worker's way to push one notice to one Telegram chat.

Errors become the Sender contract's outcomes: RetryLater (429 with its retry_after, 5xx, network
faults), TokenRefused (401: the bot token itself) or Undeliverable (the person blocked the bot, the
chat does not exist or moved, a request Telegram will never accept). A 429 is not slept on here: the
worker decides when to retry, and other chats' notices go on meanwhile.

Use as `async with telegram_sender(app) as sender:` (the Bot needs initialising). A text longer than
one Telegram message goes out in parts; when a later part fails, a retry sends the earlier ones again.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from types import TracebackType

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.ext import AIORateLimiter, ExtBot
from telegram.warnings import PTBDeprecationWarning

from bot.app import App
from bot.config import SettingsError
from bot.engine.messages import Outbound
from bot.platforms.base import RetryLater, TokenRefused, Undeliverable
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
        except RetryAfter as exc:
            raise RetryLater("telegram: flood control (429)", retry_after=retry_after_seconds(exc)) from exc
        except Forbidden as exc:  # the bot was blocked, kicked from the group, or the user is gone
            raise Undeliverable(f"telegram: {exc.message}") from exc
        except ChatMigrated as exc:
            raise Undeliverable(f"telegram: the group moved to chat {exc.new_chat_id}") from exc
        except BadRequest as exc:  # chat not found and the like: the same request fails again
            raise Undeliverable(f"telegram: {exc.message}") from exc
        except InvalidToken as exc:  # 401 (or 404): every send fails alike until the token is fixed
            raise TokenRefused(f"telegram: the bot token was refused ({exc.message})") from exc
        except TelegramError as exc:  # NetworkError, TimedOut, 5xx
            raise RetryLater(f"telegram: {type(exc).__name__}: {exc.message}") from exc
        return str(sent.message_id)


def retry_after_seconds(error: RetryAfter) -> float:
    # python-telegram-bot 22 returns int or timedelta depending on PTB_TIMEDELTA, with a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def telegram_sender(app: App) -> TelegramSender:
    """A Bot of its own: the rate limiter spaces sends under Telegram's limits but retries nothing."""
    token = app.settings.telegram_bot_token
    if token is None:
        raise SettingsError("TELEGRAM_BOT_TOKEN is not set")
    bot = ExtBot(token.get_secret_value(), base_url=app.settings.telegram_api_url, rate_limiter=AIORateLimiter())
    return TelegramSender(bot, Replies(app.sessions, app.content.book))
