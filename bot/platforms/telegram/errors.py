"""python-telegram-bot's errors as the Sender contract's outcomes, for notices and replies alike.

RetryLater: 429 with its retry_after, 5xx, network faults and timeouts (python-telegram-bot raises
NetworkError, or TimedOut, for those). TokenRefused: 401/404 for the bot's token (InvalidToken).
Undeliverable: the person blocked the bot, the chat does not exist or moved, a request Telegram will
never accept (BadRequest is a NetworkError in python-telegram-bot, so it is sorted out first).
"""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.platforms.base import DeliveryError, RetryLater, TokenRefused, Undeliverable


def delivery_error(exc: TelegramError) -> DeliveryError:
    if isinstance(exc, RetryAfter):
        return RetryLater("telegram: flood control (429)", retry_after=retry_after_seconds(exc))
    if isinstance(exc, Forbidden):  # the bot was blocked, kicked from the group, or the user is gone
        return Undeliverable(f"telegram: {exc.message}")
    if isinstance(exc, ChatMigrated):
        return Undeliverable(f"telegram: the group moved to chat {exc.new_chat_id}")
    if isinstance(exc, BadRequest):  # chat not found and the like: the same request fails again
        return Undeliverable(f"telegram: {exc.message}")
    if isinstance(exc, InvalidToken):  # every call fails until the token is fixed
        return TokenRefused(f"telegram: the bot token was refused ({exc.message})")
    return RetryLater(f"telegram: {type(exc).__name__}: {exc.message}")  # NetworkError, TimedOut, 5xx


def retry_after_seconds(error: RetryAfter) -> float:
    # python-telegram-bot 22 returns int or timedelta depending on PTB_TIMEDELTA, with a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
