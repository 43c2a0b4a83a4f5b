"""The scheduler of this process: APScheduler 3 (AsyncIOScheduler), one job per reminder still to
come, kept in memory.

The visit and event tables are the truth and the jobs only mirror them: on start and every
`sync_seconds` the reminders are recomputed (scheduler/plan.py); what is due is queued at once (a
reminder whose time passed while no scheduler ran is sent if the visit has not started, else
dropped and logged), and the jobs are made exactly the reminders still to come — a moved visit's
jobs replaced, a cancelled one's removed. A lost job costs nothing but a sync's delay.

So nothing is kept in a database job store: APScheduler's SQLAlchemyJobStore pickles each job's
callable and arguments into a row, and a restart rebuilds the jobs from the tables anyway, so such
a store would only add a way to run code from a database row (migration 0006h3 drops its table).
Only one process runs this (scheduler/background.py takes the lock).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import Content
from bot.content.models import Retention
from bot.store.housekeeping import forget_old
from bot.store.models import utcnow
from scheduler import jobs
from scheduler.action_reminders import remind_owners
from scheduler.hearing_reminders import remind_weekly
from scheduler.incident_reminders import remind_quiet
from scheduler.plan import Reminder
from scheduler.reminders import Sweep, sweep

log = logging.getLogger(__name__)

SYNC_JOB = "helpdesk:sync"
HOUSEKEEPING_JOB = "helpdesk:housekeeping"
HOUSEKEEPING_EVERY = timedelta(hours=6)
JOBSTORE = "default"  # one job per reminder, rebuilt from the tables
LOCAL = "local"  # the periodic sync and the housekeeping


class SchedulerService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], content: Content, *, tz: ZoneInfo,
        clock: Callable[[], datetime] = utcnow, sync_seconds: float = 60.0,
    ) -> None:
        self.sessions = sessions
        self.content = content
        self.tz = tz
        self.clock = clock
        self.sync_seconds = sync_seconds
        self.scheduler: Any = None

    async def start(self) -> Sweep:
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.scheduler = AsyncIOScheduler(
            jobstores={JOBSTORE: MemoryJobStore(), LOCAL: MemoryJobStore()},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=timezone.utc,
        )
        jobs.bind(self)
        # Paused until the jobs match the tables: none runs before the first sync has planned it.
        self.scheduler.start(paused=True)
        result = await self.sync()
        self.scheduler.add_job(
            jobs.SYNC, "interval", seconds=self.sync_seconds, id=SYNC_JOB, jobstore=LOCAL, replace_existing=True,
        )
        # Tidied up here, awaited, so a process restarted often still does it, and no job is left
        # mid-transaction by a stop that comes right after the start (a test's does: its engine
        # then closed under the job and the event loop never finished); then every few hours.
        await self.housekeeping()
        self.scheduler.add_job(
            jobs.HOUSEKEEPING, "interval", seconds=HOUSEKEEPING_EVERY.total_seconds(), id=HOUSEKEEPING_JOB,
            jobstore=LOCAL, replace_existing=True,
        )
        self.scheduler.resume()
        log.info("scheduler started: %d reminder job(s) planned, %d settled at start", len(result.future), len(result.fired))
        return result

    async def sync(self) -> Sweep:
        result = await sweep(self.sessions, self.content, self.tz, self.clock())
        for ref, outcome in result.fired.items():
            log.info("reminder %s at sync: %s", ref, outcome)
        await remind_quiet(self.sessions, self.content, self.tz, self.clock())
        await remind_weekly(self.sessions, self.content, self.tz, self.clock())
        await remind_owners(self.sessions, self.content, self.tz, self.clock())
        if self.scheduler is not None:
            self._reconcile(result.future)
        return result

    async def housekeeping(self) -> None:
        async with self.sessions.begin() as session:
            programme = self.content.response.programme
            forgotten = await forget_old(session, self.clock(), programme.retention if programme else Retention())
        log.info("housekeeping: forgotten %s", forgotten)

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
