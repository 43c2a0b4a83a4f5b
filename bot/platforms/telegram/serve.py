"""`helpdesk serve telegram`: long polling, or a webhook with a secret token; stops on SIGTERM/SIGINT.

The CLI already runs an event loop (asyncio.run), so the Application is driven with its lower-level
calls (initialize/start, updater.start_polling or our webhook endpoint, then stop) rather than
run_polling, which would want a loop of its own.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

from aiohttp import web
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.app import App
from bot.config import SettingsError, check_webhook_secret
from bot.logs import configure_logging
from bot.platforms.telegram.application import ALLOWED_UPDATES, build_application
from bot.platforms.telegram.commands import register_commands
from bot.platforms.telegram.sender import telegram_sender
from bot.platforms.telegram.webhook import webhook_app
from scheduler.background import delivering

log = logging.getLogger(__name__)

STARTUP_RETRIES = 3  # deleteWebhook/setWebhook at start: a passing 5xx should not stop the bot
# The webhook must be reachable by the reverse proxy in front of it (Telegram wants HTTPS on 443,
# 80, 88 or 8443); the secret token, checked on every request, keeps everyone else out.
WEBHOOK_LISTEN = "0.0.0.0"
STOP_WAIT = 5.0  # seconds


async def serve(app: App, *, webhook_url: str | None = None, port: int = 8443) -> None:
    settings = app.settings
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else ""
    configure_logging(settings)
    if not token:
        raise SettingsError("TELEGRAM_BOT_TOKEN is not set (the token BotFather gave you)")
    if webhook_url is not None:
        _check_webhook(webhook_url, secret)
    application = build_application(app, token)
    try:
        with _stop_signals() as stop:
            async with application:  # initialize: getMe checks the token
                await register_commands(application.bot, app.content.book)
                await application.start()
                webhook = None
                try:
                    webhook = await _start_updates(application, webhook_url, port, secret)
                    mode = f"webhook on port {port}" if webhook_url else "long polling"
                    print(f"telegram: @{application.bot.username} is running ({mode}); stop with Ctrl-C", file=sys.stderr)
                    # The same process delivers the outbox's Telegram notices and, if it holds the
                    # lock, runs the scheduler (scheduler/background.py): no second process needed.
                    async with telegram_sender(app) as sender, delivering(app.runtime, [sender]):
                        await stop.wait()
                finally:
                    await _stop_updates(application, webhook)
                    await application.stop()
    except InvalidToken:
        raise SettingsError("the Telegram Bot API refused TELEGRAM_BOT_TOKEN") from None
    except BadRequest as exc:  # e.g. setWebhook: "bad webhook: HTTPS url must be provided"
        raise SettingsError(f"the Telegram Bot API refused the set-up: {exc.message}") from None
    except NetworkError as exc:
        raise SettingsError(f"cannot reach the Telegram Bot API (HELPDESK_TELEGRAM_API_URL): {exc.message}") from None


async def _start_updates(
    application: Application, webhook_url: str | None, port: int, secret: str
) -> web.AppRunner | None:
    """Polling (the library's updater), or our webhook endpoint (webhook.py): its runner, to stop."""
    updater = application.updater
    assert updater is not None  # the builder makes one unless told not to
    if webhook_url is None:
        await updater.start_polling(
            allowed_updates=ALLOWED_UPDATES, bootstrap_retries=STARTUP_RETRIES, error_callback=_polling_failed
        )
        return None
    runner = web.AppRunner(webhook_app(application, urlsplit(webhook_url).path, secret))
    await runner.setup()
    try:
        await web.TCPSite(runner, WEBHOOK_LISTEN, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise SettingsError(f"cannot listen on port {port}: {exc.strerror}") from None
    await _set_webhook(application, webhook_url, secret)  # listening first: Telegram may send at once
    return runner


async def _set_webhook(application: Application, webhook_url: str, secret: str) -> None:
    for attempt in range(STARTUP_RETRIES + 1):
        try:
            await application.bot.set_webhook(webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            return
        except BadRequest:
            raise  # a refusal (say, not HTTPS): serve() turns it into one clear line
        except NetworkError as exc:  # a 429 is retried by the rate limiter already
            if attempt == STARTUP_RETRIES:
                raise
            log.warning("setWebhook failed (%s); retrying", type(exc).__name__)
            await asyncio.sleep(1.0)


async def _stop_updates(application: Application, webhook: web.AppRunner | None) -> None:
    """After a run of Bot API errors the library's polling loop sleeps up to 30 s before it notices
    the stop; a stop should not take that long (docker stop kills after 10 s). Updates fetched but
    not yet confirmed then come again at the next start, and are handled once."""
    if webhook is not None:
        await webhook.cleanup()  # requests in flight finish; Telegram retries the ones refused meanwhile
    updater = application.updater
    if updater is None or not updater.running:
        return
    try:
        await asyncio.wait_for(updater.stop(), STOP_WAIT)
    except asyncio.TimeoutError:
        log.warning("stopped without confirming the last updates to Telegram")


def _polling_failed(error: TelegramError) -> None:
    # The library retries with a growing pause (up to 30 s); this only says so, once per failure.
    log.warning("getUpdates failed (%s: %s); polling continues", type(error).__name__, error.message)


def _check_webhook(webhook_url: str, secret: str) -> None:
    if not secret:
        raise SettingsError(
            "--webhook-url needs HELPDESK_TELEGRAM_WEBHOOK_SECRET: without it anybody could post updates"
        )
    check_webhook_secret(secret)
    if urlsplit(webhook_url).scheme not in ("http", "https"):
        raise SettingsError(f"--webhook-url is not an http(s) URL: {webhook_url!r}")


@contextmanager
def _stop_signals() -> Iterator[asyncio.Event]:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    try:
        yield stop
    finally:
        for number in signals:
            loop.remove_signal_handler(number)
