"""The python-telegram-bot Application: Bot API URL, rate limiter, and our handlers."""

from __future__ import annotations

from functools import partial

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler, MessageHandler, filters

from bot.app import App
from bot.platforms.telegram.handlers import Deps, on_error, on_group_message, on_migrate, on_private_message
from bot.platforms.telegram.presses import on_press
from bot.platforms.telegram.replies import Replies

# How often a request refused with 429 is retried, each time after the retry_after Telegram gave.
FLOOD_RETRIES = 3
# Only what the bot acts on: no edits, channel posts, reactions or membership events.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def build_application(app: App, token: str) -> Application:  # type: ignore[type-arg]
    """Updates are processed one at a time (the library's default): a person's messages are
    answered in the order they were sent, which a flow needs."""
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(app.settings.telegram_api_url)
        .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
        .job_queue(None)  # scheduling is the scheduler's job, on every platform (DESIGN.md)
        .build()
    )
    deps = Deps(app.runtime, Replies(app.sessions, app.content.book))
    message = filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, partial(on_migrate, deps)))
    application.add_handler(MessageHandler(message & filters.ChatType.PRIVATE, partial(on_private_message, deps)))
    application.add_handler(MessageHandler(message & filters.ChatType.GROUPS, partial(on_group_message, deps)))
    application.add_handler(CallbackQueryHandler(partial(on_press, deps)))
    application.add_error_handler(partial(on_error, deps))
    return application
