"""SlackSender: posting, updating and publishing through the Slack Web API, with failures mapped to
the Sender contract: RetryLater (429 with its Retry-After, 5xx, network faults, Slack's own
internal errors), TokenRefused (the bot token itself: not_authed, invalid_auth, revoked, expired)
or Undeliverable (every other refusal: the channel does not exist, the bot is not in it, the
person is gone; sending it again fails again).

The delivery worker calls `send(chat_id, outbound)`; the interactive path posts a group of replies as
one message with `post`. A user id as chat_id reaches the person's DM with the bot (the App Home's
Messages tab), so notices can be addressed to people without opening a conversation first.

A reply with files (a /draft document) is uploaded with slack_sdk's files_upload_v2
(files.getUploadURLExternal, a POST of the bytes to the URL it gives, files.completeUploadExternal),
the reply's text as the file's comment, so text and file arrive together or not at all. The upload
needs the DM's channel id: conversations.open gives it for a user id.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Mapping, Sequence

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.app import App
from bot.config import SettingsError
from bot.engine.i18n import MessageBook
from bot.engine.messages import OutFile, Outbound
from bot.platforms.base import DeliveryError, RetryLater, TokenRefused, Undeliverable
from bot.platforms.slack.blocks import Block, from_engine, message, speaker
from bot.platforms.slack.limits import MESSAGE_TEXT, fit
from bot.platforms.slack.inbound import PLATFORM

# Slack's own trouble: the same call may well succeed later.
_TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# The bot's token, not the chat: every call fails until someone fixes it, then they all work again.
_TOKEN = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
# files_upload_v2 reports a failed POST of the bytes only in its message: "(status: 500, body: …)".
_UPLOAD_STATUS = re.compile(r"status: (\d{3})")


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
        files = [f for reply in replies for f in reply.files]
        if not files:
            return await self.post_blocks(channel, message(replies, speaker(self.book, lang)))
        if any(reply.options for reply in replies):
            # Buttons cannot ride on a file's comment: the message first, then its files.
            posted = await self.post_blocks(channel, message(replies, speaker(self.book, lang)))
            return await self.upload(posted.channel, files, None)
        comment = "\n\n".join(from_engine(reply.text) for reply in replies)
        return await self.upload(channel, files, fit(comment, MESSAGE_TEXT, avoid_entities=True))

    async def upload(self, channel: str, files: Sequence[OutFile], comment: str | None) -> Posted:
        """Each file into the channel (a user id: their DM), the comment with the first one;
        Posted.ts is then the last file's id."""
        channel_id = await self.dm_channel(channel)
        file_id = ""
        for index, file in enumerate(files):
            response = await _call(self.client.files_upload_v2(
                channel=channel_id, file=file.data, filename=file.name, title=file.name,
                initial_comment=comment if index == 0 else None,
            ))
            file_id = str((response.get("file") or {}).get("id") or "")
        return Posted(channel_id, file_id)

    async def dm_channel(self, channel: str) -> str:
        """files.completeUploadExternal takes a channel id only, not a user id as chat.postMessage does."""
        if channel[:1] not in ("U", "W"):
            return channel
        response = await _call(self.client.conversations_open(users=channel))
        return str((response.get("channel") or {}).get("id") or channel)

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
    except SlackRequestError as exc:
        raise _upload_refusal(exc) from None
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise RetryLater(f"slack: network: {type(exc).__name__}") from None


def _upload_refusal(exc: SlackRequestError) -> DeliveryError:
    """The POST of a file's bytes failed after the client's own retries: 429 and 5xx may pass."""
    found = _UPLOAD_STATUS.search(str(exc))
    status = int(found.group(1)) if found else 0
    if status == 429 or status >= 500:
        return RetryLater(f"slack: the file upload answered HTTP {status}")
    return Undeliverable(f"slack: the file upload was refused (HTTP {status or '?'})")


def refusal(status: int, headers: Mapping[str, str], data: Any) -> DeliveryError:
    error = data.get("error") if isinstance(data, dict) else None
    if status == 429 or error == "ratelimited":
        return RetryLater("slack: ratelimited (429)", retry_after=_seconds(headers.get("Retry-After")))
    if error in _TOKEN:
        return TokenRefused(f"slack: the bot token was refused ({error})")
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
