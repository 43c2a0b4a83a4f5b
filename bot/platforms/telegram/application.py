"""The python-telegram-bot Application: Bot API URL, rate limiter, and our handlers."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.app import App
from bot.platforms.handover import Late, ReplyRetry
from bot.platforms.telegram.courier import Courier
from bot.platforms.telegram.handlers import (
    Deps,
    on_error,
    on_group_message,
    on_migrate,
    on_private_message,
    on_unhandled,
)
from bot.platforms.telegram.polling import ReadableUpdates
from bot.platforms.telegram.presses import on_press
from bot.platforms.telegram.replies import PLATFORM, Replies
from bot.platforms.telegram.updates import id_of

log = logging.getLogger(__name__)

# How often a request refused with 429 is retried, each time after the retry_after Telegram gave
# (every request waits meanwhile); a reply is then retried within its deadline (courier.py).
FLOOD_RETRIES = 3
# Telegram takes about 30 messages a second from a bot, counted in any second (as the stand-ins in
# tests/fakes and bench/ count them, and scheduler/limits.py paces the outbox). AIORateLimiter's
# default is a leaky bucket of 30 that drains at 30/s: it lets 30 go at once and 30 more within the
# same second, and every 429 that follows pauses all of the bot's sends for retry_after while the
# updates queue behind (bench/peak.py: 108 such pauses at the peak). A bucket of 2 draining at 26/s
# lets a second hold at most 28, two short of the limit for the jitter between our clock and theirs
# (a bucket of 3 at 27/s, exactly 30, still met 9 refusals in 80 sends on a busy machine).
REPLY_RATE = 26.0  # messages per second
REPLY_BURST = 2


def reply_limiter() -> AIORateLimiter:
    """The rate limiter of the replies: under Telegram's 30/s in every second, and retries a 429."""
    return AIORateLimiter(
        overall_max_rate=REPLY_BURST, overall_time_period=REPLY_BURST / REPLY_RATE, max_retries=FLOOD_RETRIES
    )
# Only what the bot acts on: no edits, channel posts, reactions or membership events.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


class HelpdeskApplication(Application):
    """An update the library itself fails on is logged and dropped. Without this, one update with,
    say, a list for chat.id (python-telegram-bot does not check types) ends the library's update
    loop after the handlers ran: the process lives on, and never handles another update."""

    __slots__ = ()

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        except Exception as exc:  # noqa: BLE001 - see the class docstring; handler errors go to on_error
            log.error("update %s dropped: python-telegram-bot failed on it (%s)",
                      id_of(update) if isinstance(update, Update) else "?", type(exc).__name__)


def build_application(
    app: App, token: str, *, request: BaseRequest | None = None, flood_limits: bool = True,
    retry: ReplyRetry | None = None,
) -> Application:
    """Updates are processed one at a time (the library's default): a person's messages are
    answered in the order they were sent, which a flow needs.

    `request` and `flood_limits=False` are for bench/engine.py: Bot API calls answered in process,
    and no waiting under Telegram's limits, so that it measures our code. `retry`: how long a reply
    is tried before it goes to the outbox (default: the settings)."""
    # Any: the builder's bot type changes with its rate limiter (ExtBot[None] or ExtBot[int]).
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .application_class(HelpdeskApplication)
        .token(token)
        .base_url(app.settings.telegram_api_url)
        .job_queue(None)  # scheduling is the scheduler's job, on every platform (DESIGN.md)
        .get_updates_request(ReadableUpdates(connection_pool_size=1))  # the library's default size
    )
    if flood_limits:
        builder = builder.rate_limiter(reply_limiter())
    if request is not None:
        builder = builder.request(request)
    application = builder.build()
    replies = Replies(app.sessions, app.content.book)
    courier = Courier(replies, Late(app.sessions, PLATFORM, app.runtime.clock), retry or ReplyRetry.from_settings(app.settings))
    deps = Deps(app.runtime, replies, courier)
    message = filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, partial(on_migrate, deps)))
    application.add_handler(MessageHandler(message & filters.ChatType.PRIVATE, partial(on_private_message, deps)))
    application.add_handler(MessageHandler(message & filters.ChatType.GROUPS, partial(on_group_message, deps)))
    application.add_handler(CallbackQueryHandler(partial(on_press, deps)))
    application.add_handler(TypeHandler(Update, on_unhandled))  # last: only what nothing above took
    application.add_error_handler(partial(on_error, deps))
    return application
