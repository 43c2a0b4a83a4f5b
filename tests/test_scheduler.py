"""The scheduler: APScheduler 3 with its jobs in memory. Jobs are rebuilt from the visit and event
tables (idempotently, and after a restart), follow moves and cancellations, keep a misfire grace
up to the visit's start, and run the reminder; one process runs the scheduler (file lock on SQLite,
advisory lock on PostgreSQL, taken over when the holder goes)."""

from __future__ import annotations

import asyncio
import logging
import math
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterator

import pytest
from sqlalchemy import inspect

from bot.runtime.core import Runtime
from bot.config import async_url
from bot.store.db import make_engine, session_factory
from scheduler import jobs
from scheduler.background import run_background
from scheduler.config import BackgroundSettings
from scheduler.locks import SCHEDULER, AdvisoryLock, FileLock
from scheduler.service import SchedulerService
from scheduler.visits import VisitSpec, add_visit, cancel_visit, move_visit
from tests.calendar_setup import company, jst, outbox
from tests.conftest import ON_POSTGRES, Clock


# APScheduler runs jobs on the system clock while the bot's clock is the test's: the dates below are
# written for the test clock's week and moved by whole weeks until that week lies ahead of today,
# so no job is past due on the system clock (whatever day the suite runs) and weekdays stay put.
_BEHIND = datetime.now(timezone.utc) + timedelta(days=7) - Clock().now  # how far the test week lies behind
AHEAD = timedelta(weeks=max(0, math.ceil(_BEHIND / timedelta(weeks=1))))


def at(text: str) -> datetime:
    return jst(text) + AHEAD


async def add(runtime: Runtime, number: int, when: str) -> None:
    async with runtime.sessions.begin() as session:
        await add_visit(session, runtime.content, runtime.tz, VisitSpec("A社", number, at(when), "onsite", "丸の内"), now=runtime.clock())


@pytest.fixture
async def service(runtime: Runtime, clock: Clock) -> AsyncIterator[SchedulerService]:
    await company(runtime, "A社", "csirt", lead="tanaka")
    clock.now += AHEAD
    started = SchedulerService(runtime.sessions, runtime.content, tz=runtime.tz, clock=clock, sync_seconds=3600)
    yield started
    await started.stop()


async def tables(runtime: Runtime) -> set[str]:
    async with runtime.sessions() as session:
        connection = await session.connection()
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_jobs_are_built_from_the_tables_and_rebuilt_the_same(runtime: Runtime, service: SchedulerService, clock: Clock) -> None:
    await add(runtime, 1, "2026-12-03 14:00")
    await add(runtime, 2, "2026-12-17 14:00")
    await service.start()
    planned = dict(service.planned_jobs())
    assert planned == {
        "visit:1:r1:nudge": at("2026-11-28 10:00"),
        "visit:1:r1:d3": at("2026-11-30 10:00"),
        "visit:1:r1:d1": at("2026-12-02 10:00"),
        "visit:1:r1:h1": at("2026-12-03 13:00"),
        "visit:2:r1:d3": at("2026-12-14 10:00"),
        "visit:2:r1:d1": at("2026-12-16 10:00"),
        "visit:2:r1:h1": at("2026-12-17 13:00"),
    }
    await service.stop()
    again = SchedulerService(service.sessions, service.content, tz=service.tz, clock=clock)
    await again.start()  # a restart: the same jobs, none twice
    assert dict(again.planned_jobs()) == planned
    await again.stop()


async def test_after_a_restart_the_jobs_come_from_the_tables_alone(runtime: Runtime, service: SchedulerService, clock: Clock) -> None:
    """Nothing of the jobs is kept in the database (no pickled callables to load from a row): a
    scheduler started after the tables changed while none ran plans what the tables say now."""
    await add(runtime, 1, "2026-12-03 14:00")
    await service.start()
    # Migration 0008 dropped the job store's table, and a SQLAlchemyJobStore would create it again
    # when the scheduler starts: still absent, so the jobs are nowhere but in this process.
    assert "apscheduler_jobs" not in await tables(runtime)
    await service.stop()
    async with runtime.sessions.begin() as session:  # while no scheduler runs: visit 1 moves, visit 2 is added
        await move_visit(session, runtime.content, runtime.tz, "A社", 1, now=clock(), at=at("2026-12-04 09:30"))
    await add(runtime, 2, "2026-12-17 14:00")
    again = SchedulerService(service.sessions, service.content, tz=service.tz, clock=clock)
    await again.start()
    try:
        assert dict(again.planned_jobs()) == {
            "visit:1:r2:nudge": at("2026-11-29 10:00"),
            "visit:1:r2:d3": at("2026-12-01 10:00"),
            "visit:1:r2:d1": at("2026-12-03 10:00"),
            "visit:1:r2:h1": at("2026-12-04 08:30"),
            "visit:2:r1:d3": at("2026-12-14 10:00"),
            "visit:2:r1:d1": at("2026-12-16 10:00"),
            "visit:2:r1:h1": at("2026-12-17 13:00"),
        }
    finally:
        await again.stop()


async def test_a_moved_visit_moves_its_jobs_and_a_cancelled_one_drops_them(runtime: Runtime, service: SchedulerService, clock: Clock) -> None:
    await add(runtime, 1, "2026-12-03 14:00")
    await add(runtime, 2, "2026-12-17 14:00")
    await service.start()
    async with runtime.sessions.begin() as session:
        await move_visit(session, runtime.content, runtime.tz, "A社", 1, now=clock(), at=at("2026-12-04 09:30"))
        await cancel_visit(session, runtime.content, runtime.tz, "A社", 2, now=clock())
    await service.sync()
    assert dict(service.planned_jobs()) == {
        "visit:1:r2:nudge": at("2026-11-29 10:00"),
        "visit:1:r2:d3": at("2026-12-01 10:00"),
        "visit:1:r2:d1": at("2026-12-03 10:00"),
        "visit:1:r2:h1": at("2026-12-04 08:30"),
    }


async def test_a_late_job_may_still_run_until_the_visit_starts(runtime: Runtime, service: SchedulerService) -> None:
    await add(runtime, 1, "2026-12-03 14:00")
    await service.start()
    job = service.scheduler.get_job("visit:1:r1:d3")
    assert job.misfire_grace_time == int((at("2026-12-03 14:00") - at("2026-11-30 10:00")).total_seconds())
    assert job.func_ref == "scheduler.jobs:remind" and job.args == ("visit:1:r1:d3",)


async def test_apscheduler_runs_the_job_and_the_reminder_is_queued(runtime: Runtime, service: SchedulerService, clock: Clock) -> None:
    await add(runtime, 1, "2026-12-03 14:00")
    await service.start()
    clock.now = at("2026-11-30 10:00")  # the reminder's time on the bot's clock …
    # … and its job woken now on APScheduler's (the system clock): no waiting for the real date.
    service.scheduler.modify_job("visit:1:r1:d3", jobstore="default", next_run_time=datetime.now(timezone.utc))
    for _ in range(200):
        if await outbox(runtime, "visit:1:r1:d3"):
            break
        await asyncio.sleep(0.05)
    [row] = await outbox(runtime, "visit:1:r1:d3")
    assert row.chat_id == "tanaka" and row.message.options
    assert "visit:1:r1:d3" not in dict(service.planned_jobs())  # a date job runs once


async def test_starting_late_settles_what_came_due_meanwhile(runtime: Runtime, service: SchedulerService, clock: Clock) -> None:
    await add(runtime, 1, "2026-12-03 14:00")
    clock.now = at("2026-12-03 13:30")  # no scheduler ran since the visit was booked
    result = await service.start()
    assert result.fired == {
        "visit:1:r1:h1": "sent", "visit:1:r1:nudge": "sent",
        "visit:1:r1:d3": "dropped", "visit:1:r1:d1": "dropped",  # superseded by the hour-before one
    }
    assert service.planned_jobs() == []


async def test_one_process_holds_the_sqlite_lock(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "db.background.lock"), FileLock(tmp_path / "db.background.lock")
    assert await first.acquire() and not await second.acquire()
    await first.release()
    assert await second.acquire()
    await second.release()


def planned_here() -> int:
    """Reminder jobs of the scheduler running in this test process (none: -1)."""
    service = jobs._service
    return len(service.planned_jobs()) if service is not None and service.scheduler is not None else -1


async def test_one_scheduler_for_two_background_runners_and_a_takeover(database_url: str, runtime: Runtime, caplog) -> None:  # type: ignore[no-untyped-def]
    """Two runners on one database (two engines, as two processes would have): one schedules; when it
    stops, the other takes over."""
    await company(runtime, "A社", "csirt", lead="tanaka")
    await add(runtime, 1, "2099-12-03 14:00")  # far ahead: the runners use the real clock
    settings = BackgroundSettings(scheduler_takeover_seconds=0.1, scheduler_sync_seconds=3600)
    engines = [make_engine(async_url(database_url)) for _ in range(2)]
    runtimes = [Runtime(session_factory(e), runtime.content) for e in engines]
    caplog.set_level(logging.INFO, logger="scheduler.background")
    tasks = [asyncio.create_task(run_background(r, settings=settings)) for r in runtimes]
    try:
        for _ in range(200):
            if planned_here() == 4:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # several takeover attempts of the other runner
        assert caplog.text.count("this process runs the scheduler") == 1
        assert jobs._service is not None
        leader = next(i for i, r in enumerate(runtimes) if jobs._service.sessions is r.sessions)
        tasks[leader].cancel()
        await asyncio.gather(tasks[leader], return_exceptions=True)
        for _ in range(200):
            if caplog.text.count("this process runs the scheduler") == 2:
                break
            await asyncio.sleep(0.05)
        assert caplog.text.count("this process runs the scheduler") == 2
        for _ in range(200):  # the new holder rebuilds the jobs from the tables
            if planned_here() == 4:
                break
            await asyncio.sleep(0.05)
        assert planned_here() == 4
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for engine in engines:
            await engine.dispose()


HOLDER = """
import sys, time, psycopg
connection = psycopg.connect(sys.argv[1], autocommit=True)
assert connection.execute("SELECT pg_try_advisory_lock(%s, %s)", (int(sys.argv[2]), int(sys.argv[3]))).fetchone()[0]
print("locked", flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not ON_POSTGRES, reason="advisory locks are PostgreSQL's")
async def test_the_scheduler_lock_is_taken_over_when_its_holder_dies(database_url: str, runtime: Runtime) -> None:
    plain = database_url.replace("postgresql+psycopg://", "postgresql://")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, plain, *map(str, SCHEDULER)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        lock = AdvisoryLock(runtime.sessions.kw["bind"], *SCHEDULER)
        assert not await lock.acquire()
        holder.kill()  # SIGKILL: no unlock, the server notices the closed connection
        holder.wait(10)
        for _ in range(200):
            if await lock.acquire():
                break
            await asyncio.sleep(0.05)
        assert await lock.alive()
        await lock.release()
    finally:
        holder.kill()
