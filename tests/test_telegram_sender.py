"""TelegramSender, the delivery worker's side: the real python-telegram-bot Bot against the fake Bot
API, and how each failure maps to the Sender contract (RetryLater / Undeliverable)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import AsyncIterator

import pytest
from sqlalchemy import select

from bot.app import App, open_app
from bot.config import Settings
from bot.content.loader import Content
from bot.engine.messages import Choice, Outbound
from bot.engine.render import Speaker
from bot.engine.triage import render_contact
from bot.platforms.base import RetryLater, Undeliverable
from bot.platforms.telegram import TelegramSender, telegram_sender
from bot.platforms.telegram.buttons import MAX_CALLBACK_BYTES
from bot.platforms.telegram.replies import MAX_TEXT
from bot.store.models import CallbackKey, OutboxRow, utcnow
from bot.store.outbox import Recipient, enqueue
from scheduler.delivery import deliver_due
from tests.fakes.telegram_api import FakeTelegramAPI, telegram_api

__all__ = ["telegram_api"]  # the fixture, used by name
# python-telegram-bot's own RetryAfter warns about its own attribute while being built.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

CHAT = "1111111"


@pytest.fixture
async def app(database_url: str, telegram_api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    monkeypatch.setenv("HELPDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("HELPDESK_TELEGRAM_API_URL", telegram_api.base_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram_api.token)
    async with open_app(Settings()) as opened:
        yield opened


@pytest.fixture
async def sender(app: App) -> AsyncIterator[TelegramSender]:
    async with telegram_sender(app) as opened:
        yield opened


async def test_a_notice_is_sent_and_its_message_id_returned(sender: TelegramSender, telegram_api: FakeTelegramAPI) -> None:
    message_id = await sender.send(CHAT, Outbound("次回の訪問は12月3日です。", kind="notice"))

    [sent] = telegram_api.since(0, "sendMessage")
    assert (sent.chat_id, sent.text) == (int(CHAT), "次回の訪問は12月3日です。")
    assert message_id == str(sent.message_id)
    assert "reply_markup" not in sent.params


async def test_a_429_becomes_retry_later_with_telegrams_retry_after(
    sender: TelegramSender, telegram_api: FakeTelegramAPI
) -> None:
    telegram_api.fail("sendMessage", 429, retry_after=7)

    with pytest.raises(RetryLater) as raised:
        await sender.send(CHAT, Outbound("notice"))

    assert raised.value.retry_after == 7.0
    assert [c.status for c in telegram_api.since(0, "sendMessage")] == [429]  # the worker retries, not the sender


@pytest.mark.parametrize(("status", "description"), [(500, "Internal Server Error"), (502, "Bad Gateway")])
async def test_a_server_error_becomes_retry_later(
    sender: TelegramSender, telegram_api: FakeTelegramAPI, status: int, description: str
) -> None:
    telegram_api.fail("sendMessage", status, description=description)

    with pytest.raises(RetryLater) as raised:
        await sender.send(CHAT, Outbound("notice"))

    assert raised.value.retry_after is None
    assert description in str(raised.value)


async def test_a_network_fault_becomes_retry_later(app: App, telegram_api: FakeTelegramAPI) -> None:
    async with telegram_sender(app) as sender:
        telegram_api.stop()  # the Bot API is gone: connection refused

        with pytest.raises(RetryLater) as raised:
            await sender.send(CHAT, Outbound("notice"))

    assert "NetworkError" in str(raised.value) or "TimedOut" in str(raised.value)


@pytest.mark.parametrize(
    ("status", "description"),
    [(403, "Forbidden: bot was blocked by the user"), (400, "Bad Request: chat not found"),
     (403, "Forbidden: bot was kicked from the supergroup chat")],
)
async def test_a_blocked_bot_or_a_missing_chat_is_undeliverable(
    sender: TelegramSender, telegram_api: FakeTelegramAPI, status: int, description: str
) -> None:
    telegram_api.fail("sendMessage", status, description=description)

    with pytest.raises(Undeliverable) as raised:
        await sender.send(CHAT, Outbound("notice"))

    assert description.split(": ", 1)[1].lower() in str(raised.value).lower()


async def test_a_long_notice_goes_in_parts_under_telegrams_limit(
    sender: TelegramSender, telegram_api: FakeTelegramAPI
) -> None:
    lines = [f"{n:04d} " + "あ" * 95 for n in range(100)]  # 10,000 characters

    message_id = await sender.send(CHAT, Outbound("\n".join(lines)))

    parts = telegram_api.since(0, "sendMessage")
    assert len(parts) == 3 and all(len(p.text) <= MAX_TEXT for p in parts)
    assert "\n".join(p.text for p in parts) == "\n".join(lines)  # cut at line ends, nothing lost
    assert message_id == str(parts[-1].message_id)


async def test_a_long_list_is_cut_between_items_never_inside_one(
    sender: TelegramSender, telegram_api: FakeTelegramAPI, content: Content
) -> None:
    contacts = content.contacts.contacts if content.contacts else []
    speaker = Speaker("ja", content.book, content.words, date(2026, 11, 24))
    items = [render_contact(c, speaker) for c in contacts] * 3  # every destination, thrice: > 2 parts
    text = "\n".join(items)
    assert len(text) > 2 * MAX_TEXT

    await sender.send(CHAT, Outbound(text))

    parts = [p.text for p in telegram_api.since(0, "sendMessage")]
    assert len(parts) >= 3 and all(len(p) <= MAX_TEXT for p in parts)
    assert "\n".join(parts) == text  # nothing lost
    assert all(p.startswith("●") for p in parts)  # each part begins with an item
    whole = set(items)
    for part in parts:  # every block of a part (a line and the lines indented under it) is a whole item
        assert all(block in whole for block in re.split(r"\n(?=\S)", part)), part[:40]


@pytest.mark.parametrize("key_length", [1, 60, 200])
async def test_callback_data_fits_64_bytes_whatever_the_question_key(
    app: App, sender: TelegramSender, telegram_api: FakeTelegramAPI, key_length: int
) -> None:
    ref = "12:" + "業務プロセス" * (key_length // 6) + "q" * (key_length % 6)
    options = tuple(Choice(f"value-{n}-" + "x" * 100, f"選択肢 {n}") for n in range(12))

    await sender.send(CHAT, Outbound("質問", kind="question", options=options, multi=True, question_ref=ref))

    [sent] = telegram_api.since(0, "sendMessage")
    data = [b["callback_data"] for b in sent.buttons]
    assert len(data) == 13  # twelve options and "done"
    assert all(len(d.encode("utf-8")) <= MAX_CALLBACK_BYTES for d in data)
    assert sent.buttons[-1]["text"] == "決定"
    async with app.sessions() as session:
        [row] = list(await session.scalars(select(CallbackKey)))
    assert row.payload["ref"] == ref  # the whole ref stays on the server
    assert [v for v, _ in row.payload["options"]] == [c.value for c in options]


async def test_the_delivery_worker_sends_queued_notices_through_it_and_honours_retry_after(
    app: App, sender: TelegramSender, telegram_api: FakeTelegramAPI
) -> None:
    """The outbox worker (scheduler/delivery.py) with this sender: a linked group and a person."""
    now = utcnow()
    group, person = "-1001234567890", "1111111"
    async with app.sessions.begin() as session:
        await enqueue(
            session, kind="escalation", now=now, ref="incident:1",
            recipients=[Recipient("telegram", group), Recipient("telegram", person)],
            render=lambda lang: Outbound(app.content.book.say("router.error", lang), kind="notice"),
        )
    telegram_api.fail("sendMessage", 429, retry_after=30)

    first = await deliver_due(app.sessions, sender, clock=lambda: now)
    second = await deliver_due(app.sessions, sender, clock=lambda: now + timedelta(seconds=31))

    assert (first.sent, first.retried, second.sent) == (1, 1, 1)
    delivered = [c for c in telegram_api.since(0, "sendMessage") if c.status == 200]
    assert sorted(c.chat_id for c in delivered) == sorted([int(group), int(person)])
    async with app.sessions() as session:
        rows = list(await session.scalars(select(OutboxRow).order_by(OutboxRow.id)))
    assert [r.status for r in rows] == ["sent", "sent"]
    assert {r.platform_message_id for r in rows} == {str(c.message_id) for c in delivered}
