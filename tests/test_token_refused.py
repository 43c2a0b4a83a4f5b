"""A refused bot token is loud, never silent: the senders raise TokenRefused for Slack's token errors
and Telegram's 401; the delivery worker fails the row it met with the reason, logs one ERROR, stops
delivering on that platform (the other rows wait, pending, for a restart) while other platforms go
on. Per-recipient refusals fail their row only, and `helpdesk notice status` names each reason."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.content.loader import Content
from bot.engine.messages import Outbound
from bot.runtime.core import Runtime
from bot.platforms.base import TokenRefused, Undeliverable
from bot.platforms.slack.sender import SlackSender
from bot.platforms.telegram import TelegramSender
from scheduler.delivery import deliver_due
from scheduler.limits import Limits
from scheduler.worker import DeliveryWorker
from tests.conftest import Clock
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackAPI, slack_api
from tests.fakes.telegram_api import FakeTelegramAPI, telegram_api
from tests.test_delivery_worker import Recorder, queue, rows
from tests.test_telegram_sender import app, sender

__all__ = ["app", "sender", "slack_api", "telegram_api"]  # fixtures, used by name
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

NOTICE = Outbound("次回の訪問は12月3日です。", kind="notice")


@pytest.fixture
async def slack_sender(slack_api: FakeSlackAPI, content: Content) -> AsyncIterator[SlackSender]:
    async with aiohttp.ClientSession() as http:
        yield SlackSender(AsyncWebClient(token=BOT_TOKEN, base_url=slack_api.base_url, session=http), content.book)


# --- the senders


@pytest.mark.parametrize("error", ["not_authed", "invalid_auth", "token_revoked", "token_expired", "account_inactive"])
async def test_slacks_token_errors_are_token_refused(
    slack_sender: SlackSender, slack_api: FakeSlackAPI, error: str,
) -> None:
    slack_api.fail("chat.postMessage", 200, error=error)
    with pytest.raises(TokenRefused, match=error):
        await slack_sender.send("U0LAN0Z89", NOTICE)


async def test_a_slack_client_without_the_token_is_refused(slack_api: FakeSlackAPI, content: Content) -> None:
    async with aiohttp.ClientSession() as http:
        tokenless = SlackSender(AsyncWebClient(base_url=slack_api.base_url, session=http), content.book)
        with pytest.raises(TokenRefused, match="not_authed"):
            await tokenless.send("U0LAN0Z89", NOTICE)


async def test_telegrams_401_is_token_refused(sender: TelegramSender, telegram_api: FakeTelegramAPI) -> None:
    telegram_api.token = "123456:REVOKED"  # revoked at BotFather after the bot started
    with pytest.raises(TokenRefused, match="Unauthorized") as raised:
        await sender.send("1111111", NOTICE)
    assert "123456:TEST" not in str(raised.value)


# --- the worker


async def until_stopped(task: asyncio.Task[Any], timeout: float = 30) -> Any:
    """The worker stops by itself: no stop event is set."""
    return await asyncio.wait_for(task, timeout)


async def test_a_revoked_token_fails_the_row_logs_once_and_stops_that_platform_only(
    app: App, sender: TelegramSender, telegram_api: FakeTelegramAPI, clock: Clock, caplog: pytest.LogCaptureFixture,
) -> None:
    chats = [str(2000 + n) for n in range(20)]
    await queue(app.sessions, clock(), chats)
    await queue(app.sessions, clock(), ["c1", "c2", "c3"], ref="n2", platform="console")
    telegram_api.token = "123456:REVOKED"
    limits = Limits(overall=1000, per_chat=None, concurrency=4)
    stop = asyncio.Event()
    recorder = Recorder()
    caplog.set_level(logging.INFO)
    telegram = asyncio.create_task(DeliveryWorker(app.sessions, sender, limits=limits, clock=clock, poll=0.02).run(stop))
    console = asyncio.create_task(DeliveryWorker(app.sessions, recorder, limits=limits, clock=clock, poll=0.02).run(stop))

    stats = await until_stopped(telegram)
    assert stats.refused is not None and "token was refused" in stats.refused
    found = {r.chat_id: r for r in await rows(app.sessions) if r.platform == "telegram"}
    failed = [r for r in found.values() if r.status == "failed"]
    assert 1 <= len(failed) <= limits.concurrency  # the rows in flight when it was refused, no more
    assert all("the bot token was refused" in (r.last_error or "") for r in failed)
    waiting = [r for r in found.values() if r.status == "pending"]
    assert len(waiting) == len(chats) - len(failed) and all(r.attempts == 0 for r in waiting)

    while len(recorder.sent) < 3:  # the console's worker goes on
        await asyncio.sleep(0.02)
    assert not console.done()
    stop.set()
    await until_stopped(console)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "delivery on telegram stopped" in errors[0].getMessage()
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith(("scheduler", "bot")))
    assert "123456:TEST" not in ours and "REVOKED" not in ours  # httpx's own logger: bot/platforms/telegram/logs.py


async def test_deliver_due_stops_at_a_refused_token_and_gives_the_rest_back(
    runtime: Runtime, slack_api: FakeSlackAPI, slack_sender: SlackSender, clock: Clock,
) -> None:
    await queue(runtime.sessions, clock(), ["U01", "U02", "U03"], platform="slack")
    slack_api.token = "xoxb-rotated"
    stats = await deliver_due(runtime.sessions, slack_sender, clock=clock)
    assert (stats.sent, stats.failed, stats.refused) == (0, 1, "slack: the bot token was refused (invalid_auth)")
    assert [(r.status, r.attempts) for r in await rows(runtime.sessions)] == [("failed", 1), ("pending", 0), ("pending", 0)]
    assert len(slack_api.since(0, "chat.postMessage")) == 1  # one call, not one per row


# --- refusals of one recipient


async def test_per_recipient_refusals_fail_their_row_only_with_the_reason_in_notice_status(
    runtime: Runtime, slack_api: FakeSlackAPI, slack_sender: SlackSender, clock: Clock, run_cli: Any,
) -> None:
    await queue(runtime.sessions, clock(), ["U01", "U02", "U03"], platform="slack")
    slack_api.fail("chat.postMessage", 200, error="user_not_found")
    slack_api.fail("chat.postMessage", 200, error="channel_not_found")
    stats = await deliver_due(runtime.sessions, slack_sender, clock=clock)
    assert (stats.sent, stats.failed, stats.refused) == (1, 2, None)
    status = run_cli("notice", "status", "1")
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert "sent 1  pending 0  failed 2" in lines[1]
    assert "failed: slack:U01: slack: user_not_found" in lines
    assert "failed: slack:U02: slack: channel_not_found" in lines


async def test_telegrams_blocked_bot_fails_that_row_only(
    app: App, sender: TelegramSender, telegram_api: FakeTelegramAPI, clock: Clock, run_cli: Any,
) -> None:
    await queue(app.sessions, clock(), ["1001", "1002"])
    telegram_api.fail("sendMessage", 403, description="Forbidden: bot was blocked by the user")
    with pytest.raises(Undeliverable):
        await sender.send("1001", NOTICE)
    telegram_api.fail("sendMessage", 403, description="Forbidden: bot was blocked by the user")
    stats = await deliver_due(app.sessions, sender, clock=clock)
    assert (stats.sent, stats.failed, stats.refused) == (1, 1, None)
    status = run_cli("notice", "status", "1")
    assert "failed: telegram:1001: telegram: Forbidden: bot was blocked by the user" in status.stdout.splitlines(), status.stdout
