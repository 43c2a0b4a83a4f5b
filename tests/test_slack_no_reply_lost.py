"""No reply is lost on Slack: people registering at once against a Web API that answers a share of
calls 500 or 429 each get their answer exactly once (slack_sdk's retry handlers in the client); what
cannot be posted in time goes to the outbox and arrives late, in order; a refused token is not retried.

The real slack-bolt app in this process, behind its HTTP endpoint, talks to the stand-in Web API on
127.0.0.1; the outbox is delivered by the real delivery worker."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import AsyncIterator, Callable

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.runtime.core import Runtime
from bot.platforms.handover import ReplyRetry
from bot.platforms.slack.blocks import from_engine
from bot.platforms.slack.sender import SlackSender
from bot.store.models import Notice, OutboxRow
from bot.store.outbox import REPLY
from scheduler.worker import DeliveryWorker
from tests.conftest import add_company
from tests.fakes.slack_api import (
    BOT_TOKEN,
    FakeSlackAPI,
    InProcess,
    SlackPerson,
    serving_in_process,
    slack_api,  # noqa: F401 - the fixture
)

COMPANY = "株式会社サンプル"
FAST = ReplyRetry(seconds=3.0, backoff=0.05)  # the real bound is 30 s; the shape is the same


def joined_text(runtime: Runtime) -> str:
    book = runtime.content.book
    return from_engine(book.say("start.joined", "ja", company=COMPANY, role=book.say("role.member", "ja")))


@asynccontextmanager
async def running(
    runtime: Runtime, api: FakeSlackAPI, retry: ReplyRetry = FAST, *, deliver: bool = True,
) -> AsyncIterator[InProcess]:
    """The app as `serve slack` runs it, and a delivery worker sending the outbox meanwhile (on the
    real clock: the test's clock stands still, and a retried row waits a while)."""
    stop = asyncio.Event()
    if not deliver:
        stop.set()
    async with serving_in_process(runtime, api, retry) as bot, aiohttp.ClientSession() as http:
        sender = SlackSender(AsyncWebClient(token=BOT_TOKEN, base_url=api.base_url, session=http), runtime.content.book)
        worker = asyncio.create_task(DeliveryWorker(runtime.sessions, sender, poll=0.05, sole=True).run(stop))
        try:
            yield bot
        finally:
            await bot.settle()
            stop.set()
            await worker


async def until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def delivered(api: FakeSlackAPI, person: SlackPerson) -> list[str]:
    return [c.text for c in api.posts(person.user_id)]


async def reply_rows(runtime: Runtime) -> list[OutboxRow]:
    async with runtime.sessions() as session:
        query = select(OutboxRow).join(Notice, Notice.id == OutboxRow.notice_id).where(Notice.kind == REPLY)
        return list(await session.scalars(query.order_by(OutboxRow.id)))


async def test_thirty_people_registering_at_once_under_500s_and_429s_are_each_answered_once(
    runtime: Runtime, slack_api: FakeSlackAPI,  # noqa: F811
) -> None:
    crowd = [SlackPerson(user_id=f"U0CROWD{n:03d}", name=f"p{n}") for n in range(30)]
    code = await add_company(runtime, COMPANY, "csirt", role="member", uses=len(crowd))
    async with running(runtime, slack_api) as bot:
        slack_api.faults(p500=0.3, p429=0.1, retry_after=0, seed=14, methods=None)  # after auth.test
        sent = await asyncio.gather(*(bot.send(p.message(f"/start {code}")) for p in crowd))
        assert [status for status, _ in sent] == [200] * len(crowd)
        await bot.settle()
        await until(lambda: all(delivered(slack_api, p) for p in crowd))
        await asyncio.sleep(0.3)  # anything posted twice would arrive now

    refused = [c.status for c in slack_api.since(0) if c.status != 200]
    assert 500 in refused and 429 in refused  # the faults did happen
    assert {p.user_id: delivered(slack_api, p) for p in crowd} == {p.user_id: [joined_text(runtime)] for p in crowd}


async def test_a_reply_that_keeps_failing_goes_to_the_outbox_and_arrives_late_in_order(
    runtime: Runtime, slack_api: FakeSlackAPI,  # noqa: F811
) -> None:
    person = SlackPerson()
    code = await add_company(runtime, COMPANY, "csirt", role="member")
    slack_api.fail("chat.postMessage", 500, times=1000)  # Slack in trouble for longer than the bound

    async with running(runtime, slack_api, ReplyRetry(seconds=0.2, backoff=0.05)) as bot:
        await bot.send(person.message(f"/start {code}"))
        await bot.send(person.message("/help"))
        await bot.settle()
        assert delivered(slack_api, person) == []
        slack_api.heal()
        await until(lambda: len(delivered(slack_api, person)) == 2)
        await asyncio.sleep(0.3)

    texts = delivered(slack_api, person)
    assert texts[0] == joined_text(runtime)  # the late reply first, the next turn's behind it
    assert "hearing" in texts[1] and len(texts) == 2  # /help's answer
    rows = await reply_rows(runtime)
    assert [r.status for r in rows] == ["sent", "sent"]
    assert rows[0].person_id is not None


async def test_a_refused_token_is_not_retried_and_is_an_error_in_the_log(
    runtime: Runtime, slack_api: FakeSlackAPI, caplog: pytest.LogCaptureFixture,  # noqa: F811
) -> None:
    person = SlackPerson()
    async with running(runtime, slack_api) as bot:
        slack_api.fail("chat.postMessage", 200, error="invalid_auth", times=10)  # revoked after the start
        mark = slack_api.mark()
        with caplog.at_level(logging.WARNING):
            await bot.send(person.message("/start"))
            await bot.settle()

    assert [c.response.get("error") for c in slack_api.since(mark, "chat.postMessage")] == ["invalid_auth"]
    assert await reply_rows(runtime) == []
    assert any(r.levelno == logging.ERROR and "token was refused" in r.getMessage() for r in caplog.records)


async def test_a_retry_after_longer_than_the_bound_sends_the_reply_to_the_outbox_not_before_it(
    runtime: Runtime, slack_api: FakeSlackAPI,  # noqa: F811
) -> None:
    person = SlackPerson()
    async with running(runtime, slack_api, deliver=False) as bot:  # the 3 s bound
        slack_api.fail("chat.postMessage", 429, retry_after=60)
        started = asyncio.get_running_loop().time()
        await bot.send(person.message("/start"))
        await bot.settle()
        waited = asyncio.get_running_loop().time() - started

    assert waited < 3.0  # not slept on: 60 s do not fit in the bound
    [row] = await reply_rows(runtime)
    assert row.status == "pending" and row.not_before == runtime.clock() + timedelta(seconds=60)
    assert [c.status for c in slack_api.since(0, "chat.postMessage")] == [429]
