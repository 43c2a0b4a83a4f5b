"""APScheduler job functions: module-level, taking ids only (a job is a reference to one of these
and a reminder's ref, rebuilt from the tables at every start). They act through the
SchedulerService of this process, which binds itself on start."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scheduler.reminders import fire

if TYPE_CHECKING:
    from scheduler.service import SchedulerService

log = logging.getLogger(__name__)

REMIND = "scheduler.jobs:remind"
SYNC = "scheduler.jobs:sync"
HOUSEKEEPING = "scheduler.jobs:housekeeping"

_service: SchedulerService | None = None


def bind(service: SchedulerService | None) -> None:
    global _service
    _service = service


def _current() -> SchedulerService:
    if _service is None:
        raise RuntimeError("no SchedulerService is running in this process")
    return _service


async def remind(ref: str) -> None:
    """The job of one reminder: "visit:12:r2:d3"."""
    service = _current()
    outcome = await fire(service.sessions, service.content, service.tz, ref, service.clock())
    log.info("reminder job %s: %s", ref, outcome)


async def sync() -> None:
    """Re-read visits and events: catch up what is due, plan what changed."""
    await _current().sync()


async def housekeeping() -> None:
    """Forget old de-duplication keys and keyboards (bot/store/housekeeping.py)."""
    await _current().housekeeping()
