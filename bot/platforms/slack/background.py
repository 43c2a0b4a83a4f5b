"""The work done after Slack has its acknowledgement: tasks we keep a hold of, so none is garbage
collected mid-flight, a failure is logged, and a shutdown can let them finish."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Coroutine

log = logging.getLogger(__name__)


# Turns running at once. Without a cap a flood of requests started thousands of turns together, all
# racing for the database pool (and, on SQLite, for its one writer), and the answers nearly stopped
# while the acks went on (bench/README.md, Slack acknowledgements); with it the rest wait in order.
RUNNING = 8


class Background:
    def __init__(self, running: int = RUNNING) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(running)

    def spawn(self, work: Coroutine[Any, Any, Any], *, urgent: bool = False) -> None:
        """`urgent` work skips the line: opening a modal must happen within the trigger's 3 s."""
        task = asyncio.create_task(work if urgent else self._in_turn(work))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def _in_turn(self, work: Coroutine[Any, Any, Any]) -> Any:
        async with self._slots:
            return await work

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack work failed", exc_info=task.exception())

    async def idle(self) -> None:
        """Wait until no work is left, including work the finished work started."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def drain(self, timeout: float) -> None:
        """On shutdown: let the work finish for a while, then cancel what is left."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(list(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("shutdown: %d Slack task(s) cancelled", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)
