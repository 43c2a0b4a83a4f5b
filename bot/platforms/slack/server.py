"""`helpdesk serve slack`: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on --port at /slack/events
(events, slash commands and interactivity on the one path, signatures verified by slack-bolt).

Start-up checks the bot token once with auth.test at HELPDESK_SLACK_API_URL and nowhere else; the
answer serves every later request (`authorize`), so no request waits for a Web API call before its ack.
Bolt's own client has no token (each request gets it from `authorize`); what this process posts on
its own goes through clients that carry it: the replies (retried by slack_sdk within a bound), and
the outbox's notices through `SlackApp.sender` (retried by the delivery worker).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.config import Settings, SettingsError
from bot.runtime.core import Runtime
from bot.logs import configure_logging
from bot.platforms.handover import ReplyRetry
from bot.platforms.slack import intake
from bot.platforms.slack.background import Background
from bot.platforms.slack.dialogue import Dialogue
from bot.platforms.slack.listeners import register
from bot.platforms.slack.retries import reply_retry_handlers
from bot.platforms.slack.sender import SlackSender, api_base
from scheduler.background import delivering

EVENTS_PATH = "/slack/events"
HOST = "0.0.0.0"  # Slack calls in from the internet (usually through a reverse proxy)
DRAIN_SECONDS = 10.0  # on shutdown, turns already acknowledged get this long to finish
DOCS = "see docs/slack.md"


@dataclass(frozen=True)
class Credentials:
    bot_token: str
    signing_secret: str
    app_token: str | None


def credentials(settings: Settings) -> Credentials:
    def value(secret: Any) -> str | None:
        return secret.get_secret_value() if secret is not None and secret.get_secret_value() else None

    bot_token = value(settings.slack_bot_token)
    signing_secret = value(settings.slack_signing_secret)
    app_token = value(settings.slack_app_token)
    if bot_token is None:
        raise SettingsError(f"SLACK_BOT_TOKEN is not set (the app's Bot User OAuth Token, xoxb-…); {DOCS}")
    if app_token is None and signing_secret is None:
        raise SettingsError(
            f"SLACK_SIGNING_SECRET is not set: requests from Slack cannot be verified without it "
            f"(or set SLACK_APP_TOKEN for Socket Mode); {DOCS}"
        )
    return Credentials(bot_token, signing_secret or "", app_token)


class _NoTokenNotice(logging.Filter):
    """slack-bolt warns at every start that SLACK_BOT_TOKEN "will be unused" because it is given a
    client (the only way to give it HELPDESK_SLACK_API_URL). The token is used, through `authorize`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_NoTokenNotice())


@dataclass(frozen=True)
class SlackApp:
    bolt: AsyncApp
    dialogue: Dialogue
    background: Background
    sender: SlackSender  # for the delivery worker: the bot token, no retries of the client's own
    signing_secret: str = field(repr=False)

    def web_app(self) -> web.Application:
        """The HTTP endpoint: malformed requests are refused before slack-bolt (intake.py)."""
        return intake.web_app(self.bolt, self.signing_secret, EVENTS_PATH)


async def open_slack(
    runtime: Runtime, http: aiohttp.ClientSession, *, api_url: str, bot_token: str, signing_secret: str,
    retry: ReplyRetry | None = None,
) -> SlackApp:
    """`retry`: how long a reply is retried before it goes to the outbox (default 30 s)."""
    base = api_base(api_url)
    # The client that answers people retries transient failures itself, within the bound.
    handlers = reply_retry_handlers(retry or ReplyRetry())
    client = AsyncWebClient(token=bot_token, base_url=base, session=http, retry_handlers=handlers)
    identity = await _identify(client, base)
    dialogue = Dialogue(runtime, SlackSender(client, runtime.content.book))
    # The delivery worker retries a row with its own backoff and must answer within its lease
    # (scheduler/delivery.py), so its client carries the token but retries nothing itself.
    sender = SlackSender(
        AsyncWebClient(token=bot_token, base_url=base, session=http, retry_handlers=[]), runtime.content.book,
    )
    background = Background()
    bolt = AsyncApp(
        name="helpdesk",
        client=AsyncWebClient(base_url=base, session=http),  # its token comes from `authorize`
        signing_secret=signing_secret,
        authorize=_authorize(identity, bot_token),
    )
    register(bolt, dialogue, background)
    return SlackApp(bolt, dialogue, background, sender, signing_secret)


async def _identify(client: AsyncWebClient, base: str) -> dict[str, Any]:
    try:
        return dict((await client.auth_test()).data)  # type: ignore[arg-type]
    except SlackApiError as exc:
        raise SettingsError(f"Slack at {base} refused SLACK_BOT_TOKEN ({_error(exc)}); {DOCS}") from None
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise SettingsError(f"cannot reach the Slack Web API at {base} ({type(exc).__name__})") from None


def _error(exc: SlackApiError) -> object:
    return exc.response.get("error") if isinstance(exc.response.data, dict) else exc.response.status_code


def _authorize(identity: dict[str, Any], token: str) -> Callable[..., Awaitable[AuthorizeResult]]:
    async def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=identity.get("enterprise_id") or enterprise_id,
            team_id=identity.get("team_id") or team_id,
            bot_user_id=identity.get("user_id"),  # how slack-bolt knows the bot's own messages
            bot_id=identity.get("bot_id"),
            bot_token=token,
            user_id=user_id,
        )

    return authorize


async def serve(application: App, *, port: int) -> None:
    settings = application.settings
    secrets = credentials(settings)
    configure_logging(settings)
    async with aiohttp.ClientSession() as http:
        slack = await open_slack(
            application.runtime, http, api_url=settings.slack_api_url,
            bot_token=secrets.bot_token, signing_secret=secrets.signing_secret,
            retry=ReplyRetry.from_settings(settings),
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            # This process also delivers the outbox's Slack notices and, if it holds the lock, runs
            # the scheduler (scheduler/background.py): no second process needed.
            async with delivering(application.runtime, [slack.sender]):
                if secrets.app_token:
                    await _socket_mode(slack.bolt, secrets.app_token, stop)
                else:
                    await _http(slack, port, stop)
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            await slack.background.drain(DRAIN_SECONDS)


async def _http(slack: SlackApp, port: int, stop: asyncio.Event) -> None:
    runner = web.AppRunner(slack.web_app())
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, HOST, port).start()
        except OSError as exc:
            raise SettingsError(f"cannot listen on port {port}: {exc.strerror}") from None
        print(f"Slack: listening on port {port} at {EVENTS_PATH}", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


async def _socket_mode(bolt: AsyncApp, app_token: str, stop: asyncio.Event) -> None:
    # The handler's connect() retries every failure for ever, a refused token included: ask for the
    # first WebSocket URL here, where a refusal can stop the start with one clear line.
    try:
        opened = await bolt.client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        raise SettingsError(f"Socket Mode: Slack refused SLACK_APP_TOKEN ({_error(exc)}); {DOCS}") from None
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise SettingsError(f"Socket Mode: cannot reach the Slack Web API ({type(exc).__name__})") from None
    handler = intake.socket_mode_handler(bolt, app_token)
    handler.client.wss_uri = opened["url"]
    await handler.connect_async()
    print("Slack: connected in Socket Mode", file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        await handler.close_async()
