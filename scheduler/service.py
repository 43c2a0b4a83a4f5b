"""The scheduler of this process: APScheduler 3 (AsyncIOScheduler) with its SQLAlchemyJobStore in
the bot's database, and one job per reminder still to come.

The job store mirrors the visit and event tables, which stay the truth: on start and every
`sync_seconds` the reminders are recomputed (scheduler/plan.py); what is due is queued at once (a
reminder whose time passed while no scheduler ran is sent if the visit has not started, else
dropped and logged), and the store is made to hold exactly the reminders still to come — a moved
visit's jobs replaced, a cancelled one's removed. A lost job costs nothing but a sync's delay.

APScheduler's FAQ: a job store cannot be shared by two running schedulers, so only one process
runs this (scheduler/background.py takes the lock). Its job store is synchronous and needs a sync
URL: sqlite:/// or postgresql+psycopg:// (psycopg 3 serves both).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import Content
from bot.store.housekeeping import forget_old
from bot.store.models import SchedulerJob, utcnow
from scheduler import jobs
from scheduler.plan import Reminder
from scheduler.reminders import Sweep, sweep

log = logging.getLogger(__name__)

SYNC_JOB = "helpdesk:sync"
HOUSEKEEPING_JOB = "helpdesk:housekeeping"
HOUSEKEEPING_EVERY = timedelta(hours=6)
JOBSTORE = "default"  # the database: one job per reminder
LOCAL = "local"  # this process only: the periodic sync and the housekeeping


def sync_url(url: URL) -> URL:
    """The synchronous driver for the same database (APScheduler's job store is not asyncio)."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite")
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database for the job store: {backend}")


def _sqlite_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


class SchedulerService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], content: Content, *, tz: ZoneInfo, url: URL,
        clock: Callable[[], datetime] = utcnow, sync_seconds: float = 60.0,
    ) -> None:
        self.sessions = sessions
        self.content = content
        self.tz = tz
        self.url = sync_url(url)
        self.clock = clock
        self.sync_seconds = sync_seconds
        self.scheduler: Any = None
        self._engine: Engine | None = None

    async def start(self) -> Sweep:
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._engine = create_engine(self.url, pool_pre_ping=True)
        if self.url.get_backend_name() == "sqlite":
            event.listen(self._engine, "connect", _sqlite_busy_timeout)
        store = SQLAlchemyJobStore(engine=self._engine, tablename=SchedulerJob.__tablename__)
        self.scheduler = AsyncIOScheduler(
            jobstores={JOBSTORE: store, LOCAL: MemoryJobStore()},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=timezone.utc,
        )
        jobs.bind(self)
        # Paused until the store matches the tables: a stale job must not run before the sync.
        self.scheduler.start(paused=True)
        result = await self.sync()
        self.scheduler.add_job(
            jobs.SYNC, "interval", seconds=self.sync_seconds, id=SYNC_JOB, jobstore=LOCAL, replace_existing=True,
        )
        self.scheduler.add_job(  # first run at start: a process restarted often still tidies up
            jobs.HOUSEKEEPING, "interval", seconds=HOUSEKEEPING_EVERY.total_seconds(), id=HOUSEKEEPING_JOB,
            jobstore=LOCAL, replace_existing=True, next_run_time=datetime.now(timezone.utc),
        )
        self.scheduler.resume()
        log.info("scheduler started: %d reminder job(s) planned, %d settled at start", len(result.future), len(result.fired))
        return result

    async def sync(self) -> Sweep:
        result = await sweep(self.sessions, self.content, self.tz, self.clock())
        for ref, outcome in result.fired.items():
            log.info("reminder %s at sync: %s", ref, outcome)
        if self.scheduler is not None:
            self._reconcile(result.future)
        return result

    async def housekeeping(self) -> None:
        async with self.sessions.begin() as session:
            forgotten = await forget_old(session, self.clock())
        log.info("housekeeping: %d de-duplication key(s), %d keyboard(s) and %d intake miss(es) forgotten",
                 forgotten.event_keys, forgotten.keyboards, forgotten.misses)

    def _reconcile(self, future: list[Reminder]) -> None:
        wanted = {reminder.ref: reminder for reminder in future}
        present = {job.id: job for job in self.scheduler.get_jobs(jobstore=JOBSTORE)}
        for job_id in present.keys() - wanted.keys():
            self.scheduler.remove_job(job_id, jobstore=JOBSTORE)
        for ref, reminder in wanted.items():
            job = present.get(ref)
            if job is not None and job.next_run_time == reminder.due:
                continue
            # A job run late (the loop was busy, the process paused) still runs while the visit has
            # not started, and is skipped after: the same rule as at start.
            grace = max(1, int((reminder.starts_at - reminder.due).total_seconds()))
            self.scheduler.add_job(
                jobs.REMIND, "date", run_date=reminder.due, args=[ref], id=ref, name=ref, jobstore=JOBSTORE,
                replace_existing=True, misfire_grace_time=grace,
            )

    def planned_jobs(self) -> list[tuple[str, datetime | None]]:
        return [(job.id, job.next_run_time) for job in self.scheduler.get_jobs(jobstore=JOBSTORE)]

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
        jobs.bind(None)
        self.scheduler = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
