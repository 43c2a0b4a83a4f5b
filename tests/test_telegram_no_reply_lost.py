"""No reply is lost on Telegram: people registering at once against a Bot API that answers a share
of calls 500 or 429 each get their answer exactly once; what cannot be sent in time goes to the
outbox and arrives late, in order; a refused token is not retried.

The real python-telegram-bot Application (the serve path's update queue, its rate limiter) talks to
the stand-in Bot API on 127.0.0.1; the outbox is delivered by the real delivery worker."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

import pytest
from sqlalchemy import select
from telegram import Update
from telegram.ext import Application

from bot.app import App
from bot.platforms.handover import ReplyRetry
from bot.platforms.telegram.application import build_application
from bot.platforms.telegram.sender import telegram_sender
from bot.store.models import Notice, OutboxRow
from bot.store.outbox import REPLY
from scheduler.worker import DeliveryWorker
from tests.conftest import add_company
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramUser, telegram_api
from tests.test_telegram_buttons import app

__all__ = ["app", "telegram_api"]  # fixtures, used by name

COMPANY = "株式会社サンプル"
FAST = ReplyRetry(seconds=2.0, backoff=0.05)  # the real bound is 30 s; the shape is the same


def joined_text(app: App) -> str:
    book = app.content.book
    return book.say("start.joined", "ja", company=COMPANY, role=book.say("role.member", "ja"))


def people(api: FakeTelegramAPI, count: int) -> list[TelegramUser]:
    return [TelegramUser(api, user_id=2_000_000 + n, first_name=f"P{n}") for n in range(count)]


@asynccontextmanager
async def running(app: App, api: FakeTelegramAPI, retry: ReplyRetry = FAST) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The Application taking updates from its queue, as `serve telegram` runs it, and a delivery
    worker sending the outbox meanwhile."""
    application = build_application(app, api.token, retry=retry)
    stop = asyncio.Event()
    async with application, telegram_sender(app) as sender:
        await application.start()
        worker = asyncio.create_task(DeliveryWorker(app.sessions, sender, poll=0.05, sole=True).run(stop))
        try:
            yield application
        finally:
            await application.stop()
            stop.set()
            await worker


async def push(application: Application, updates: list[dict[str, object]]) -> None:  # type: ignore[type-arg]
    for update in updates:
        await application.update_queue.put(Update.de_json(update, application.bot))


async def until(check: object, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def delivered(api: FakeTelegramAPI, person: TelegramUser) -> list[str]:
    return [c.text for c in api.since(0, "sendMessage", person.user_id) if c.status == 200]


async def reply_rows(app: App) -> list[OutboxRow]:
    async with app.sessions() as session:
        query = select(OutboxRow).join(Notice, Notice.id == OutboxRow.notice_id).where(Notice.kind == REPLY)
        return list(await session.scalars(query.order_by(OutboxRow.id)))


async def test_thirty_people_registering_at_once_under_500s_and_429s_are_each_answered_once(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    crowd = people(telegram_api, 30)
    code = await add_company(app.runtime, COMPANY, "csirt", role="member", uses=len(crowd))
    telegram_api.faults(p500=0.15, p429=0.05, retry_after=1, seed=14)

    async with running(app, telegram_api) as application:
        await push(application, [p.text_update(f"/start {code}") for p in crowd])
        await until(lambda: all(delivered(telegram_api, p) for p in crowd))
        await until(lambda: application.update_queue.empty())
        await asyncio.sleep(0.3)  # anything sent twice would arrive now

    refused = [c.status for c in telegram_api.since(0, "sendMessage") if c.status != 200]
    assert 500 in refused and 429 in refused  # the faults did happen
    assert {p.user_id: delivered(telegram_api, p) for p in crowd} == {p.user_id: [joined_text(app)] for p in crowd}


async def test_a_reply_that_keeps_failing_goes_to_the_outbox_and_arrives_late_in_order(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    person = TelegramUser(telegram_api)
    code = await add_company(app.runtime, COMPANY, "csirt", role="member")
    telegram_api.fail("sendMessage", 500, times=4)  # more than the short deadline allows

    async with running(app, telegram_api, ReplyRetry(seconds=0.1, backoff=0.05)) as application:
        await push(application, [person.text_update(f"/start {code}"), person.text_update("/help")])
        await until(lambda: len(delivered(telegram_api, person)) == 2)
        await asyncio.sleep(0.3)

    texts = delivered(telegram_api, person)
    assert texts[0] == joined_text(app)  # the late reply first, the one after it behind it
    assert "/hearing" in texts[1] and len(texts) == 2  # /help's answer
    rows = await reply_rows(app)
    assert [r.status for r in rows] == ["sent", "sent"]  # /help's reply waited behind /start's
    assert [r.chat_id for r in rows] == [str(person.user_id)] * 2
    assert rows[0].person_id is not None


async def test_a_refused_token_is_not_retried_and_is_an_error_in_the_log(
    app: App, telegram_api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    person = TelegramUser(telegram_api)
    async with running(app, telegram_api) as application:
        telegram_api.fail("sendMessage", 401, times=10, description="Unauthorized")  # revoked after the start
        mark = telegram_api.mark()
        with caplog.at_level(logging.WARNING):
            await push(application, [person.text_update("/start")])
            await until(lambda: telegram_api.since(mark, "sendMessage"))
            await asyncio.sleep(0.3)

    assert [c.status for c in telegram_api.since(mark, "sendMessage")] == [401]
    assert await reply_rows(app) == []
    assert any(r.levelno == logging.ERROR and "token was refused" in r.getMessage() for r in caplog.records)
