"""The seam between the chat servers and the scheduler: `run_background(runtime, senders)` runs the
delivery workers for the given platform senders and, in one process only, the scheduler. A server
wraps its wait for the stop signal in it:

    async with delivering(app.runtime, [sender]):
        await stop.wait()

`helpdesk scheduler run` is the same without a chat server; `helpdesk console` runs it (no senders)
when interactive.

PostgreSQL: every process delivers (the outbox is shared with SKIP LOCKED); the process holding the
scheduler's advisory lock runs the scheduler, and the others try to take it over every
`scheduler_takeover_seconds` (the lock is released when its holder dies). SQLite: one process does
all of it, the one holding the file lock next to the database; another process waits its turn.

Cancelling (or setting `stop`) stops claiming new rows and lets the sends in flight finish.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, AsyncIterator, Awaitable, Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.platforms.base import Sender
from scheduler.config import BackgroundSettings
from scheduler.limits import limits_for
from scheduler.locks import SCHEDULER, AdvisoryLock, FileLock, ProcessLock, background_lock_path
from scheduler.service import SchedulerService
from scheduler.worker import DeliveryWorker, pause

if TYPE_CHECKING:
    from bot.runtime.core import Runtime

log = logging.getLogger(__name__)

DRAIN_SECONDS = 30.0  # on cancel, sends in flight get this long to finish
HEARTBEAT = 10.0  # seconds between checks that the scheduler lock is still held
RETRY_AFTER_FAILURE = 30.0


@asynccontextmanager
async def delivering(runtime: Runtime, senders: Sequence[Sender] = ()) -> AsyncIterator[None]:
    """run_background for as long as the block runs; leaving it lets the sends in flight finish."""
    task = asyncio.create_task(run_background(runtime, senders))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def run_background(
    runtime: Runtime, senders: Sequence[Sender] = (), *, stop: asyncio.Event | None = None,
    settings: BackgroundSettings | None = None,
) -> None:
    stop = stop or asyncio.Event()
    main = asyncio.ensure_future(_run(runtime, senders, stop, settings or BackgroundSettings()))
    try:
        await asyncio.shield(main)
    except asyncio.CancelledError:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(main), DRAIN_SECONDS)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            main.cancel()
        raise


def _engine(runtime: Runtime) -> AsyncEngine:
    engine = runtime.sessions.kw.get("bind")
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the runtime's sessions are not bound to an engine")
    return engine


def _workers(runtime: Runtime, senders: Sequence[Sender], settings: BackgroundSettings, *, sole: bool) -> list[DeliveryWorker]:
    workers = []
    for sender in senders:
        limits = limits_for(sender.platform)
        rate = {"telegram": settings.telegram_rate, "slack": settings.slack_rate}.get(sender.platform)
        if rate is not None or settings.delivery_concurrency is not None:
            limits = replace(limits, overall=rate or limits.overall, concurrency=settings.delivery_concurrency or limits.concurrency)
        workers.append(
            DeliveryWorker(
                runtime.sessions, sender, limits=limits, clock=runtime.clock, poll=settings.delivery_poll_seconds,
                lease=timedelta(seconds=settings.delivery_lease_seconds), sole=sole,
            )
        )
    return workers


async def _run(runtime: Runtime, senders: Sequence[Sender], stop: asyncio.Event, settings: BackgroundSettings) -> None:
    engine = _engine(runtime)
    if engine.dialect.name == "sqlite":
        # One process on SQLite: whoever holds the file lock schedules and delivers.
        lock = FileLock(background_lock_path(engine.url))
        while not await lock.acquire():
            if stop.is_set():
                return
            await pause(stop, settings.scheduler_takeover_seconds)
        try:
            work: list[Awaitable[object]] = [w.run(stop) for w in _workers(runtime, senders, settings, sole=True)]
            if settings.scheduler_enabled:
                work.append(_schedule(runtime, lock, stop, settings))
            await asyncio.gather(*work)
        finally:
            await lock.release()
        return
    work = [w.run(stop) for w in _workers(runtime, senders, settings, sole=False)]
    if settings.scheduler_enabled:
        work.append(_lead(runtime, AdvisoryLock(engine, *SCHEDULER), stop, settings))
    await asyncio.gather(*work)


async def _lead(runtime: Runtime, lock: ProcessLock, stop: asyncio.Event, settings: BackgroundSettings) -> None:
    """Run the scheduler while holding its lock; otherwise try to take the lock over now and then."""
    while not stop.is_set():
        try:
            held = await lock.acquire()
        except Exception:  # noqa: BLE001 - the database may be down for a moment
            log.exception("could not try the scheduler lock")
            held = False
        if held:
            try:
                await _schedule(runtime, lock, stop, settings)
            finally:
                await lock.release()
        await pause(stop, settings.scheduler_takeover_seconds)


async def _schedule(runtime: Runtime, lock: ProcessLock, stop: asyncio.Event, settings: BackgroundSettings) -> None:
    """The scheduler, for as long as the lock holds and nobody says stop."""
    service = SchedulerService(
        runtime.sessions, runtime.content, tz=runtime.tz, clock=runtime.clock,
        sync_seconds=settings.scheduler_sync_seconds,
    )
    try:
        await service.start()
    except Exception:  # noqa: BLE001 - e.g. the database went away; try again later
        log.exception("the scheduler could not start")
        await service.stop()
        await pause(stop, RETRY_AFTER_FAILURE)
        return
    log.info("this process runs the scheduler")
    try:
        while not stop.is_set() and await lock.alive():
            await pause(stop, HEARTBEAT)
        if not stop.is_set():
            log.warning("the scheduler lock was lost; stopping the scheduler here")
    finally:
        await service.stop()
