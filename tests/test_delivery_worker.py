"""The delivery worker: pacing under a platform's limits, retries after 429 and 500 from a stand-in
Telegram Bot API (the real python-telegram-bot client), failures with their reasons, rows of a dead
worker taken over at once, a clean stop, and exactly-once with two workers on PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta
from dataclasses import dataclass, field
from typing import Awaitable, Callable

import pytest
from sqlalchemy import select

from bot.app import App
from bot.config import async_url
from bot.engine.messages import Outbound
from bot.runtime.core import Runtime
from bot.platforms.telegram import TelegramSender
from bot.store.db import make_engine, session_factory
from bot.store.models import OutboxClaim, OutboxRow
from bot.store.outbox import Recipient, enqueue
from bot.platforms.base import RetryLater
from scheduler.delivery import AFTER_INTERRUPTION, POSSIBLE_DUPLICATE, WorkerId, claim
from scheduler.limits import Limits, Pacer
from scheduler.notices import notice_status
from scheduler.worker import DeliveryWorker
from tests.conftest import ON_POSTGRES, Clock
from tests.fakes.telegram_api import FakeTelegramAPI, telegram_api
from tests.test_telegram_sender import app, sender  # the app and sender against the stand-in Bot API

__all__ = ["telegram_api", "app", "sender"]  # fixtures, used by name
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


# --- pacing, with a clock and a sleep of our own: no waiting


@dataclass
class FakeTime:
    now: float = 100.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


async def test_sends_are_spaced_under_the_overall_and_the_per_chat_limits() -> None:
    time = FakeTime()
    pacer = Pacer(Limits(overall=10, per_chat=1), margin=1.0, clock=time.clock, sleep=time.sleep)
    starts = []
    for _ in range(5):
        await pacer.overall()
        starts.append(time.now)
    assert [round(b - a, 6) for a, b in zip(starts, starts[1:])] == [0.1] * 4  # 10 per second
    time.slept.clear()
    await pacer.chat("42")
    await pacer.chat("42")  # the same chat again: one second later
    await pacer.chat("-100")  # a group: its own slot
    assert time.slept == [1.0]


async def test_groups_get_twenty_a_minute_and_a_margin_keeps_under_the_limit() -> None:
    time = FakeTime()
    pacer = Pacer(Limits(overall=30, per_chat=1, per_group=20 / 60), margin=0.95, clock=time.clock, sleep=time.sleep)
    await pacer.chat("-100")
    await pacer.chat("-100")
    assert time.slept == [round(3 / 0.95, 6)]
    before = time.now
    for _ in range(31):
        await pacer.overall()
    assert time.now - before >= 1.0  # 31 slots take more than a second at 95 % of 30/s


async def test_one_429_holds_back_its_chat_and_a_burst_holds_back_everyone() -> None:
    time = FakeTime()
    pacer = Pacer(Limits(overall=10, per_chat=None), margin=1.0, clock=time.clock, sleep=time.sleep)
    pacer.retry_after("7", 5)
    await pacer.overall()
    await pacer.chat("8")
    assert time.slept == []  # other chats go on
    await pacer.chat("7")
    assert time.slept == [5.0]
    time.slept.clear()
    for chat in ("1", "2", "3"):  # three in a second at 10/s: the bot as a whole is over the limit
        pacer.retry_after(chat, 2)
    await pacer.overall()
    assert time.slept and time.slept[0] >= 1.99


async def test_a_scattering_of_429s_does_not_stop_a_fast_bot() -> None:
    time = FakeTime()
    pacer = Pacer(Limits(overall=30, per_chat=None), margin=1.0, clock=time.clock, sleep=time.sleep)
    for chat in ("1", "2", "3", "4", "5"):  # 5 in a second at 30/s: a few chats, not the whole bot
        pacer.retry_after(chat, 2)
    await pacer.overall()
    assert time.slept == []
    pacer.retry_after("6", 2)  # the sixth: a fifth of a second's sends
    await pacer.overall()
    assert time.slept and time.slept[0] >= 1.9


# --- the worker against the stand-in Telegram Bot API


async def queue(sessions, now, chats: list[str], ref: str = "n1", platform: str = "telegram") -> None:  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        await enqueue(
            session, kind="broadcast", ref=ref, now=now, recipients=[Recipient(platform, c) for c in chats],
            render=lambda lang: Outbound(f"{ref} お知らせ", kind="notice"),
        )


async def rows(sessions) -> list[OutboxRow]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return list(await session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30) -> None:
    """Poll until `check()`; no assertion on how long it took, only that it happened at all."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.02)


class Running:
    """A worker running in the background of the test."""

    def __init__(self, worker: DeliveryWorker) -> None:
        self.worker = worker
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(worker.run(self.stop))

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 30)


def fast(limits: Limits | None = None) -> Limits:
    return limits or Limits(overall=1000, per_chat=None, concurrency=4)


async def test_429_and_500_are_retried_honouring_retry_after(
    app: App, sender: TelegramSender, telegram_api: FakeTelegramAPI, clock: Clock
) -> None:
    chats = ["1001", "1002", "1003", "1004"]
    await queue(app.sessions, clock(), chats)
    telegram_api.fail("sendMessage", 429, retry_after=30)
    telegram_api.fail("sendMessage", 500)
    limits = Limits(1000, None, concurrency=1)
    pacer = Pacer(limits, clock=lambda: clock().timestamp())  # holds a 429's chat back on the test's clock
    running = Running(DeliveryWorker(app.sessions, sender, limits=limits, clock=clock, poll=0.02, pacer=pacer))

    async def settled() -> bool:
        found = await rows(app.sessions)
        return sum(r.status == "sent" for r in found) == 2 and sum(r.status == "pending" and r.attempts == 1 for r in found) == 2

    await until(settled, "two sent, two waiting to retry")
    waiting = {r.chat_id: r for r in await rows(app.sessions) if r.status == "pending"}
    assert waiting["1001"].last_error == "telegram: flood control (429)"
    assert waiting["1001"].not_before == clock() + timedelta(seconds=30)
    assert "Internal Server Error" in (waiting["1002"].last_error or "")
    clock.advance(seconds=3)  # past the 500's backoff (2 s), not the 429's Retry-After (30 s)

    async def one_more() -> bool:
        return sum(r.status == "sent" for r in await rows(app.sessions)) == 3

    await until(one_more, "the 500 retried")
    assert sum(r.status == "pending" for r in await rows(app.sessions)) == 1
    clock.advance(seconds=30)

    async def all_sent() -> bool:
        return all(r.status == "sent" for r in await rows(app.sessions))

    await until(all_sent, "the 429 retried after Retry-After")
    await running.finish()
    delivered = Counter(c.chat_id for c in telegram_api.since(0, "sendMessage") if c.status == 200)
    assert delivered == {int(c): 1 for c in chats}  # each exactly once
    assert sorted(r.attempts for r in await rows(app.sessions)) == [1, 1, 2, 2]


async def test_a_refusal_is_recorded_with_its_reason_and_not_retried(
    app: App, sender: TelegramSender, telegram_api: FakeTelegramAPI, clock: Clock
) -> None:
    await queue(app.sessions, clock(), ["1001", "1002"])
    telegram_api.fail("sendMessage", 403, description="Forbidden: bot was blocked by the user")
    running = Running(DeliveryWorker(app.sessions, sender, limits=fast(Limits(1000, None, concurrency=1)), clock=clock, poll=0.02))

    async def done() -> bool:
        return all(r.status in ("sent", "failed") for r in await rows(app.sessions))

    await until(done, "both rows settled")
    await running.finish()
    async with app.sessions() as session:
        status = await notice_status(session, 1)
    assert status.counts == {"sent": 1, "failed": 1}
    [(who, reason)] = status.failures
    assert who == "telegram:1001" and "blocked" in reason


@dataclass
class Recorder:
    """A stand-in Sender that takes a little while, like a network call."""

    platform: str = "console"
    sent: list[str] = field(default_factory=list)
    delay: float = 0.0
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        self.started.set()
        await asyncio.sleep(self.delay or random.uniform(0, 0.002))
        self.sent.append(chat_id)
        return f"m-{chat_id}"


async def test_the_rows_of_a_dead_worker_are_taken_over_at_once(runtime: Runtime, clock: Clock) -> None:
    await queue(runtime.sessions, clock(), ["1", "2", "3"], platform="console")
    dead = WorkerId(12345, "gone:1")
    await claim(runtime.sessions, "console", clock(), limit=1, worker=dead)  # claimed, then the process died
    recorder = Recorder()
    sole = not ON_POSTGRES  # SQLite: the only delivering process; PostgreSQL: its liveness lock tells
    running = Running(DeliveryWorker(runtime.sessions, recorder, limits=fast(), clock=clock, poll=0.02, sole=sole))

    async def all_sent() -> bool:
        return all(r.status == "sent" for r in await rows(runtime.sessions))

    await until(all_sent, "the dead worker's row sent without waiting for its lease")
    await running.finish()
    assert sorted(recorder.sent) == ["1", "2", "3"]
    flagged = [r.chat_id for r in await rows(runtime.sessions) if r.last_error == POSSIBLE_DUPLICATE]
    assert flagged == ["1"]  # its first attempt may have reached the chat: said so, not hidden
    async with runtime.sessions() as session:
        assert (await notice_status(session, 1)).possible_duplicates == 1
        assert list(await session.scalars(select(OutboxClaim))) == []


@dataclass
class FailsFirst:
    """Answers 500 to the first call, then succeeds."""

    platform: str = "console"
    calls: int = 0

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        self.calls += 1
        if self.calls == 1:
            raise RetryLater("500 Internal Server Error")
        return "m1"


async def test_a_resend_that_fails_again_is_still_known_as_a_possible_duplicate(runtime: Runtime, clock: Clock) -> None:
    await queue(runtime.sessions, clock(), ["1"], platform="console")
    await claim(runtime.sessions, "console", clock(), limit=1, worker=WorkerId(54321, "gone:2"))
    sender = FailsFirst()
    running = Running(DeliveryWorker(runtime.sessions, sender, limits=fast(), clock=clock, poll=0.02, sole=not ON_POSTGRES))

    async def retrying() -> bool:
        return (await rows(runtime.sessions))[0].status == "pending"

    await until(retrying, "the resend answered 500")
    [row] = await rows(runtime.sessions)
    assert row.last_error == "500 Internal Server Error" + AFTER_INTERRUPTION
    clock.advance(seconds=10)

    async def sent() -> bool:
        return (await rows(runtime.sessions))[0].status == "sent"

    await until(sent, "sent at the third attempt")
    await running.finish()
    [row] = await rows(runtime.sessions)
    assert (row.attempts, row.last_error) == (3, POSSIBLE_DUPLICATE)


async def test_a_stopped_worker_lets_its_sends_finish(runtime: Runtime, clock: Clock) -> None:
    await queue(runtime.sessions, clock(), ["1"], platform="console")
    recorder = Recorder(delay=0.3)
    running = Running(DeliveryWorker(runtime.sessions, recorder, limits=fast(), clock=clock, poll=0.02))
    await asyncio.wait_for(recorder.started.wait(), 10)
    await running.finish()  # SIGTERM during the call: the call ends, its outcome is recorded
    [row] = await rows(runtime.sessions)
    assert row.status == "sent" and recorder.sent == ["1"]


@pytest.mark.skipif(not ON_POSTGRES, reason="several workers share the outbox on PostgreSQL (SKIP LOCKED)")
async def test_two_workers_send_every_row_exactly_once(database_url: str, runtime: Runtime, clock: Clock) -> None:
    chats = [str(n) for n in range(400)]
    await queue(runtime.sessions, clock(), chats, platform="console")
    engines = [make_engine(async_url(database_url)) for _ in range(2)]
    recorders = [Recorder(), Recorder()]
    workers = [
        Running(DeliveryWorker(session_factory(engine), recorder, limits=Limits(None, None, concurrency=8), clock=clock, poll=0.02))
        for engine, recorder in zip(engines, recorders)
    ]

    async def all_sent() -> bool:
        return all(r.status == "sent" for r in await rows(runtime.sessions))

    try:
        await until(all_sent, "every row sent", timeout=120)
    finally:
        for worker in workers:
            await worker.finish()
        for engine in engines:
            await engine.dispose()
    sent = recorders[0].sent + recorders[1].sent
    assert Counter(sent) == Counter(chats)  # none twice, none lost
    assert recorders[0].sent and recorders[1].sent  # both took part
