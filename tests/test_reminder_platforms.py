"""A visit reminder and an event invitation through the real platform adapters, delivered by the
worker: buttons on Slack (Block Kit) and Telegram (inline keyboard, server-side callback keys) that
come back to the engine as presses of "visit:<id>:<revision>" and "event:<id>"."""

from __future__ import annotations


import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.runtime.core import Runtime
from bot.platforms.slack import SlackSender
from bot.store.models import CallbackKey
from scheduler.delivery import deliver_due
from scheduler.events import EventSpec, add_event
from scheduler.reminders import sweep
from scheduler.visits import VisitSpec, add_visit
from tests.calendar_setup import company, jst, person
from tests.conftest import Clock
from tests.fakes.slack_api import FakeSlackAPI, slack_api
from tests.fakes.telegram_api import FakeTelegramAPI, telegram_api

__all__ = ["slack_api", "telegram_api"]
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def reminder_due(runtime: Runtime, clock: Clock) -> None:
    async with runtime.sessions.begin() as session:
        await add_visit(session, runtime.content, runtime.tz, VisitSpec("A社", 1, jst("2026-12-03 14:00"), "onsite", "丸の内"), now=clock(), notify=False)
        await add_event(session, runtime.content, runtime.tz, EventSpec("networking", jst("2026-12-10 18:00")), now=clock())
    clock.now = jst("2026-11-30 10:00")
    await sweep(runtime.sessions, runtime.content, runtime.tz, clock())


async def test_on_slack(runtime: Runtime, clock: Clock, slack_api: FakeSlackAPI) -> None:
    await company(runtime, "A社", "csirt")
    await person(runtime, "U0SATO01", role="lead", company="A社", platform="slack")
    await reminder_due(runtime, clock)
    sender = SlackSender(AsyncWebClient(token=slack_api.token, base_url=slack_api.base_url), runtime.content.book)
    stats = await deliver_due(runtime.sessions, sender, clock=clock)
    assert (stats.sent, stats.failed) == (3, 0)  # the invitation, the reminder, the hearing nudge
    posts = slack_api.since(0, "chat.postMessage")
    buttons = {
        element["text"]["text"]: (block["block_id"], element.get("value"))
        for post in posts for block in post.blocks if block["type"] == "actions" for element in block["elements"]
    }
    assert {"確認しました", "日程変更を相談したい", "参加", "不参加"} <= set(buttons)
    assert buttons["確認しました"][0].endswith("visit:1:1")


async def test_on_telegram(runtime: Runtime, clock: Clock, telegram_api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    from bot.app import open_app
    from bot.config import Settings
    from bot.platforms.telegram import telegram_sender

    await company(runtime, "A社", "csirt")
    await person(runtime, "1111111", role="lead", company="A社", platform="telegram")
    await reminder_due(runtime, clock)
    monkeypatch.setenv("HELPDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("HELPDESK_TELEGRAM_API_URL", telegram_api.base_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram_api.token)
    async with open_app(Settings()) as app, telegram_sender(app) as sender:
        stats = await deliver_due(app.sessions, sender, clock=clock)
    assert (stats.sent, stats.failed) == (3, 0)
    labels = [b["text"] for call in telegram_api.since(0, "sendMessage") for b in call.buttons]
    assert labels == ["参加", "不参加", "確認しました", "日程変更を相談したい"]
    async with runtime.sessions() as session:
        refs = sorted(key.payload["ref"] for key in await session.scalars(select(CallbackKey)))
    assert refs == ["event:1", "visit:1:1"]
