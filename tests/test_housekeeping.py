"""Old de-duplication keys and Telegram keyboards are forgotten; recent ones are kept; the scheduling
process does it on start and every few hours."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.engine.runtime import Runtime
from bot.store import repo
from bot.store.housekeeping import EVENT_KEYS_KEPT, KEYBOARDS_KEPT, forget_old
from bot.store.models import CallbackKey, ProcessedEvent
from scheduler.service import SchedulerService
from tests.conftest import Clock

MINUTE = timedelta(minutes=1)


async def seed(runtime: Runtime, now: datetime) -> None:
    """Two rows of each kind: one a minute past what is kept, one a minute short of it."""
    async with runtime.sessions.begin() as session:
        for event_id, age in (("old", EVENT_KEYS_KEPT + MINUTE), ("recent", EVENT_KEYS_KEPT - MINUTE)):
            assert await repo.claim_event(session, "telegram", event_id, now - age)
        for key, age in (("oldkey", KEYBOARDS_KEPT + MINUTE), ("recentkey", KEYBOARDS_KEPT - MINUTE)):
            session.add(CallbackKey(key=key, payload={"chat": "1"}, created_at=now - age))


async def left(runtime: Runtime) -> tuple[list[str], list[str]]:
    async with runtime.sessions() as session:
        events = list(await session.scalars(select(ProcessedEvent.event_id).order_by(ProcessedEvent.event_id)))
        keys = list(await session.scalars(select(CallbackKey.key).order_by(CallbackKey.key)))
    return events, keys


async def test_only_what_is_past_its_time_is_forgotten(runtime: Runtime, clock: Clock) -> None:
    await seed(runtime, clock.now)
    async with runtime.sessions.begin() as session:
        forgotten = await forget_old(session, clock.now)
    assert (forgotten.event_keys, forgotten.keyboards) == (1, 1)
    assert await left(runtime) == (["recent"], ["recentkey"])
    async with runtime.sessions.begin() as session:
        assert not await repo.claim_event(session, "telegram", "recent", clock.now)  # still a duplicate
        assert await repo.claim_event(session, "telegram", "old", clock.now)  # long past any redelivery


async def test_the_scheduler_tidies_up_when_it_starts(runtime: Runtime, clock: Clock) -> None:
    await seed(runtime, clock.now)
    service = SchedulerService(runtime.sessions, runtime.content, tz=runtime.tz, clock=clock)
    try:
        await service.start()
        for _ in range(100):
            if await left(runtime) == (["recent"], ["recentkey"]):
                break
            await asyncio.sleep(0.05)
        assert await left(runtime) == (["recent"], ["recentkey"])
        job = service.scheduler.get_job("helpdesk:housekeeping")
        assert job is not None and job.trigger.interval == timedelta(hours=6)
    finally:
        await service.stop()
