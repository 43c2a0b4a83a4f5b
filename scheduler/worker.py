"""A delivery worker: sends one platform's outbox rows, paced under the platform's limits, until told
to stop; then it lets the sends already started finish and record their outcome.

Each row is claimed right before its platform call (one row per claim), so a row "sending" is a row
whose call is in flight. The worker holds a liveness lock while it runs and records its claims in
`outbox_claims`: when a worker dies, the others (or the same process restarted) see its claims
orphaned and take the rows over at once, instead of waiting for the lease.

When the platform refuses the bot token, the worker stops claiming: the rows it met are failed with
the reason, one ERROR says so, and the rest wait, pending, for a restart with a good token. The
other platforms' workers go on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.platforms.base import Sender
from bot.store.models import OutboxClaim, utcnow
from scheduler.delivery import LEASE, Claimed, DeliveryStats, WorkerId, claim, deliver_one
from scheduler.limits import DEFAULT_MARGIN, Limits, Pacer, limits_for
from scheduler.locks import WORKERS, AdvisoryLock, live_worker_keys

log = logging.getLogger(__name__)

DEAD_CHECK = 5.0  # seconds between looks for claims of dead workers


def new_worker_id() -> WorkerId:
    return WorkerId(random.randint(1, 2**31 - 1), f"{socket.gethostname()}:{os.getpid()}")


class DeliveryWorker:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], sender: Sender, *,
        limits: Limits | None = None, margin: float = DEFAULT_MARGIN, clock: Callable[[], datetime] = utcnow,
        poll: float = 1.0, lease: timedelta = LEASE, worker: WorkerId | None = None, sole: bool = False,
        pacer: Pacer | None = None,
    ) -> None:
        """`sole`: this is the only process delivering (SQLite, under the background file lock), so
        every other worker's claim is orphaned. `pacer`: a test's, on the test's clock."""
        self.sessions = sessions
        self.sender = sender
        self.limits = limits or limits_for(sender.platform)
        self.pacer = pacer or Pacer(self.limits, margin=margin)
        self.clock = clock
        self.poll = poll
        self.lease = lease
        self.worker = worker or new_worker_id()
        self.sole = sole
        self.stats = DeliveryStats()
        # The platform call must end well before the lease, or another worker could take the row
        # while this call may still succeed.
        self.timeout = lease.total_seconds() / 2
        self._dead: set[int] = set()
        self._dead_checked = float("-inf")

    async def run(self, stop: asyncio.Event) -> DeliveryStats:
        engine: AsyncEngine | None = self.sessions.kw.get("bind")
        liveness = None
        if engine is not None and engine.dialect.name == "postgresql" and not self.sole:
            liveness = AdvisoryLock(engine, WORKERS, self.worker.key)
            if not await liveness.acquire():
                raise RuntimeError(f"worker key {self.worker.key} is taken")
        in_flight: set[asyncio.Task[None]] = set()
        slots = asyncio.Semaphore(self.limits.concurrency)

        def done(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            slots.release()
            if not task.cancelled() and task.exception() is not None:
                # The row stays "sending" with our claim; the lease (or our next start) frees it.
                log.error("delivery worker %s: recording a send failed", self.worker.label, exc_info=task.exception())

        log.info("delivery worker %s for %s started", self.worker.label, self.sender.platform)
        try:
            while not stop.is_set() and self.stats.refused is None:
                await slots.acquire()
                # Paced before the claim: a claimed row goes out at once, so a row "sending" is a
                # call in flight (what a kill can leave ambiguous), not a row queueing for a slot.
                await self.pacer.overall()
                await self.pacer.window()
                try:
                    row = await self._claim_one() if not stop.is_set() and self.stats.refused is None else None
                except Exception:  # noqa: BLE001 - the database may come back; the rows wait in it
                    log.exception("delivery worker %s: claiming failed", self.worker.label)
                    row = None
                if row is None:
                    slots.release()
                    await pause(stop, self.poll)
                    continue
                task = asyncio.create_task(self._deliver(row))
                in_flight.add(task)
                task.add_done_callback(done)
        finally:
            # Let the calls already made finish and record their outcome (a SIGTERM is not a crash).
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)
            if liveness is not None:
                await liveness.release()
            if self.stats.refused is not None:
                log.error(
                    "delivery on %s stopped: %s; the notices wait until the token is fixed and the process restarted",
                    self.sender.platform, self.stats.refused,
                )
            log.info("delivery worker %s for %s stopped: %s", self.worker.label, self.sender.platform, self.stats)
        return self.stats

    async def _claim_one(self) -> Claimed | None:
        rows = await claim(
            self.sessions, self.sender.platform, self.clock(), limit=1, worker=self.worker,
            dead_workers=await self._dead_workers(), lease=self.lease,
        )
        return rows[0] if rows else None

    async def _dead_workers(self) -> set[int]:
        loop = asyncio.get_running_loop()
        if loop.time() - self._dead_checked < DEAD_CHECK:
            return self._dead
        self._dead_checked = loop.time()
        async with self.sessions() as session:
            owners = set(await session.scalars(select(OutboxClaim.worker_key).distinct()))
            if not owners:
                self._dead = set()
            elif self.sole:
                self._dead = owners - {self.worker.key}
            elif session.get_bind().dialect.name == "postgresql":
                self._dead = owners - await live_worker_keys(await session.connection())
            else:  # several processes on SQLite: nobody can tell; the lease decides
                self._dead = set()
        if self._dead:
            log.warning("claims of %d dead delivery worker(s) found; their rows are sent again", len(self._dead))
        return self._dead

    async def _deliver(self, row: Claimed) -> None:
        await self.pacer.chat(row.chat_id)
        await deliver_one(
            self.sessions, self.sender, row, self.stats, clock=self.clock, timeout=self.timeout,
            on_retry_after=self.pacer.retry_after,
        )


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass
