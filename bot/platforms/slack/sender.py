"""SlackSender: posting, updating and publishing through the Slack Web API, with failures mapped to
the Sender contract: RetryLater (429 with its Retry-After, 5xx, network faults, Slack's own
internal errors; a token someone will fix is TokenRefused, a kind of RetryLater) or Undeliverable
(every other refusal: the channel does not exist, the bot is not in it, the person is gone; sending
it again fails again).

The delivery worker calls `send(chat_id, outbound)`; the interactive path posts a group of replies as
one message with `post`. A user id as chat_id reaches the person's DM with the bot (the App Home's
Messages tab), so notices can be addressed to people without opening a conversation first.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Awaitable, Mapping, Sequence

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.app import App
from bot.config import SettingsError
from bot.engine.i18n import MessageBook
from bot.engine.messages import Outbound
from bot.platforms.base import DeliveryError, RetryLater, TokenRefused, Undeliverable
from bot.platforms.slack.blocks import Block, message, speaker
from bot.platforms.slack.inbound import PLATFORM

# Slack's own trouble: the same call may well succeed later.
_TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# The bot's token, not the chat: every call fails until someone fixes it, then they all work again.
_TOKEN = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


@dataclass(frozen=True)
class Opened:
    """A modal as Slack holds it: views.update names it by id, and by hash so that an update meant
    for an older state of the view is refused (hash_conflict) rather than overwriting a newer one."""

    view_id: str
    hash: str | None


def api_base(url: str) -> str:
    """HELPDESK_SLACK_API_URL as slack_sdk wants it: method names are appended to it."""
    return url if url.endswith("/") else url + "/"


class SlackSender:
    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, book: MessageBook) -> None:
        self.client = client
        self.book = book

    async def send(self, chat_id: str, message: Outbound, *, lang: str = "ja") -> str | None:
        """`lang` only names Slack's own widgets (a select's placeholder, the submit button); the
        message's text is already in the person's language."""
        return (await self.post(chat_id, [message], lang)).ts

    async def post(self, channel: str, replies: Sequence[Outbound], lang: str) -> Posted:
        return await self.post_blocks(channel, message(replies, speaker(self.book, lang)))

    async def post_blocks(self, channel: str, arguments: Block) -> Posted:
        response = await _call(self.client.chat_postMessage(channel=channel, **arguments))
        return Posted(str(response.get("channel") or channel), str(response.get("ts") or ""))

    async def update(self, channel: str, ts: str, arguments: Block) -> None:
        await _call(self.client.chat_update(channel=channel, ts=ts, **arguments))

    async def publish(self, user_id: str, view: Block) -> None:
        await _call(self.client.views_publish(user_id=user_id, view=view))

    async def open_view(self, trigger_id: str, view: Block) -> Opened:
        response = await _call(self.client.views_open(trigger_id=trigger_id, view=view))
        return _opened(response)

    async def update_view(self, opened: Opened, view: Block) -> Opened:
        response = await _call(self.client.views_update(view_id=opened.view_id, hash=opened.hash, view=view))
        return _opened(response)


def _opened(response: AsyncSlackResponse) -> Opened:
    view = response.get("view") or {}
    return Opened(str(view.get("id") or ""), view.get("hash"))


async def _call(request: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    try:
        return await request
    except SlackApiError as exc:
        response = exc.response
        raise refusal(response.status_code, response.headers, response.data) from None
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise RetryLater(f"slack: network: {type(exc).__name__}") from None


def refusal(status: int, headers: Mapping[str, str], data: Any) -> DeliveryError:
    error = data.get("error") if isinstance(data, dict) else None
    if status == 429 or error == "ratelimited":
        return RetryLater("slack: ratelimited (429)", retry_after=_seconds(headers.get("Retry-After")))
    if error in _TOKEN:
        return TokenRefused(f"slack: {error}")
    if status >= 500 or error in _TRANSIENT:
        return RetryLater(f"slack: {error or f'HTTP {status}'}")
    return Undeliverable(f"slack: {error or f'HTTP {status}'}")


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def slack_sender(app: App) -> SlackSender:
    """A sender with a Web API client of its own, for a process without the Slack server."""
    token = app.settings.slack_bot_token
    if token is None:
        raise SettingsError("SLACK_BOT_TOKEN is not set")
    client = AsyncWebClient(token=token.get_secret_value(), base_url=api_base(app.settings.slack_api_url))
    return SlackSender(client, app.content.book)
