"""One inbound message, one transaction: de-duplicate, find the person, route, commit, then reply."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Awaitable, Callable
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import Content
from bot.turn.context import Ctx
from bot.runtime.flood import FloodGate
from bot.engine.messages import Inbound, Outbound
from bot.runtime.router import RUNNERS, route
from bot.policy import actor_for
from bot.store import repo
from bot.store.models import utcnow

log = logging.getLogger(__name__)

RETRIES_ON_CONFLICT = 3

BeforeCommit = Callable[[Ctx, list[Outbound]], Awaitable[None]]


class Runtime:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        content: Content,
        *,
        tz: str = "Asia/Tokyo",
        clock: Callable[[], datetime] = utcnow,
        flood: FloodGate | None = None,
    ) -> None:
        self.sessions = sessions
        self.content = content
        self.tz = ZoneInfo(tz)
        self.clock = clock
        self.flood = flood

    async def handle(self, inbound: Inbound, *, before_commit: BeforeCommit | None = None) -> list[Outbound]:
        """Replies are returned only after the transaction committed: an answer the user sees
        acknowledged is an answer on disk. A duplicate event returns no reply at all.

        `before_commit` runs inside the message's transaction with its replies, for what an adapter
        keeps with them (Telegram's keyboards): it commits or rolls back with the answer. It may run
        more than once (a retried transaction); only the returned list's run committed.

        A person over the flood gate's limit gets one "slow down" and then nothing, and none of
        their messages touches the database until the hold is over (bot/runtime/flood.py)."""
        if self.flood is not None:
            admission = self.flood.admit((inbound.platform, inbound.user_id), self.clock())
            if admission == "drop":
                return []
            if admission == "warn":
                log.info("flood control: a %s person is held for %s", inbound.platform, self.flood.window)
                seconds = int(self.flood.window.total_seconds())
                return [Outbound(self._say_without_db("flood.slow_down", inbound, seconds=seconds), kind="error")]
        for attempt in range(1, RETRIES_ON_CONFLICT + 1):
            try:
                return await self._handle_once(inbound, before_commit)
            except StaleDataError:
                # Another message of the same person changed the conversation first: redo on fresh state.
                log.info("conversation changed concurrently; retry %d", attempt)
            except DBAPIError as exc:
                if not exc.connection_invalidated and not _is_operational(exc):
                    raise
                log.warning("database unavailable: %s", type(exc.orig).__name__)
                return [Outbound(self._say_without_db("router.busy", inbound), kind="error")]
            except PoolTimeout:
                # No pooled connection came free within the pool's timeout: a burst larger than the
                # process serves (bench/README.md). Nothing was written; the person tries again.
                log.warning("no database connection free in time; answered busy")
                return [Outbound(self._say_without_db("router.busy", inbound), kind="error")]
        return [Outbound(self._say_without_db("router.busy", inbound), kind="error")]

    async def _handle_once(self, inbound: Inbound, before_commit: BeforeCommit | None) -> list[Outbound]:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            if inbound.event_id is not None:
                if not await repo.claim_event(session, inbound.platform, inbound.event_id, now):
                    log.info("duplicate %s event ignored", inbound.platform)
                    return []
            person, active = await repo.person_arriving(
                session, inbound.platform, inbound.user_id, inbound.display_name, inbound.language, now
            )
            actor = await actor_for(session, person, f"{inbound.platform}:{inbound.user_id}")
            ctx = Ctx(
                session=session, person=person, content=self.content, now=now, tz=self.tz, actor=actor,
                active_on_arrival=active, runners=RUNNERS,
            )
            replies = await route(ctx, inbound)
            if before_commit is not None and replies:
                await before_commit(ctx, replies)
            return replies

    def _say_without_db(self, key: str, inbound: Inbound, **params: object) -> str:
        return self.content.book.say(key, repo.language_of(inbound.language), **params)


def _is_operational(exc: DBAPIError) -> bool:
    from sqlalchemy.exc import InterfaceError, OperationalError

    return isinstance(exc, (OperationalError, InterfaceError))
