"""Flood control per person, in the runtime (so on every platform that goes through it): more than
20 messages in 10 s and the person gets one "please slow down", then nothing, and nothing of theirs
is written until the window has passed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import open_app
from bot.config import Settings, async_url
from bot.content.loader import Content
from bot.runtime.flood import FloodGate
from bot.engine.messages import Inbound, Outbound
from bot.runtime.core import Runtime
from bot.store.db import make_engine, session_factory
from bot.store.models import AuditEntry, Person, ProcessedEvent
from tests.conftest import Clock

_ids = iter(range(1, 10**6))


@pytest.fixture
async def gated(database_url: str, content: Content, clock: Clock) -> AsyncIterator[Runtime]:
    engine = make_engine(async_url(database_url))
    yield Runtime(session_factory(engine), content, clock=clock, flood=FloodGate(20, timedelta(seconds=10)))
    await engine.dispose()


async def send(runtime: Runtime, user: str, text: str = "/start WRONG") -> list[Outbound]:
    # A Telegram-like update: each has its own id, claimed in processed_events when handled.
    return await runtime.handle(Inbound("telegram", user, text=text, event_id=f"u{next(_ids)}"))


async def written(runtime: Runtime) -> tuple[int, int, int]:
    async with runtime.sessions() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(ProcessedEvent)) or 0),
            int(await session.scalar(select(func.count()).select_from(Person)) or 0),
            int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0),
        )


async def test_the_21st_message_in_10_seconds_gets_one_reply_and_nothing_is_written(gated: Runtime, clock: Clock) -> None:
    slow_down = gated.content.book.say("flood.slow_down", "ja", seconds=10)
    for n in range(20):  # 20 messages within 7.6 s: all handled
        replies = await send(gated, "1001", "/help")
        assert replies and replies[0].text != slow_down, n
        clock.advance(seconds=0.4)
    assert await written(gated) == (20, 1, 0)

    twenty_first = await send(gated, "1001")
    assert [r.text for r in twenty_first] == [slow_down]
    # The 22nd..51st, within the hold: each a wrong invitation code, which is audited when handled.
    later = [await send(gated, "1001") for _ in range(30)]
    assert later == [[]] * 30
    assert await written(gated) == (20, 1, 0)  # no event claimed, no audit line, no person

    other = await send(gated, "2002", "/help")  # someone else meanwhile: not held
    assert other and other[0].text != slow_down

    clock.advance(seconds=9.9)
    assert await send(gated, "1001") == []  # still within 10 s of the 21st
    clock.advance(seconds=0.1)
    accepted = await send(gated, "1001", "/help")  # the window has passed: the 1st after it is handled
    assert accepted and accepted[0].text != slow_down
    assert await written(gated) == (22, 2, 0)


async def test_the_window_slides(gated: Runtime, clock: Clock) -> None:
    slow_down = gated.content.book.say("flood.slow_down", "ja", seconds=10)
    for _ in range(15):
        await send(gated, "1001", "/help")
    clock.advance(seconds=9)
    for _ in range(5):
        await send(gated, "1001", "/help")  # 20 within 9 s
    clock.advance(seconds=1)  # the first 15 are now 10 s old: out of the window
    for n in range(15):
        replies = await send(gated, "1001", "/help")
        assert replies and replies[0].text != slow_down, n
    assert [r.text for r in await send(gated, "1001")] == [slow_down]


def test_the_gate_forgets_people_after_a_quiet_window() -> None:
    gate = FloodGate(3, timedelta(seconds=10))
    start = Clock().now
    for user in range(1000):
        assert gate.admit(("slack", f"U{user}"), start) == "accept"
    for _ in range(3):
        gate.admit(("slack", "U0"), start)
    assert gate.admit(("slack", "U0"), start) == "drop"  # the 4th was "warn", then held
    assert len(gate) == 1000
    later = start + timedelta(seconds=10)
    assert gate.admit(("slack", "U1"), later) == "accept"
    assert len(gate) == 1  # only the one who just wrote


async def test_the_bot_processes_have_it_and_the_console_does_not(database_url: str) -> None:
    settings = Settings(database_url=database_url)
    async with open_app(settings) as served:
        assert served.runtime.flood is not None
        assert (served.runtime.flood.limit, served.runtime.flood.window) == (20, timedelta(seconds=10))
    async with open_app(settings, flood_control=False) as console:
        assert console.runtime.flood is None
    async with open_app(Settings(database_url=database_url, flood_limit=0)) as off:
        assert off.runtime.flood is None
