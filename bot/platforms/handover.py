"""No reply is lost: a reply that fails transiently is tried again for a bounded time, then handed to
the outbox, so the person gets it late rather than never (DESIGN.md, "Engine and I/O").

`ReplyRetry` is the bound (HELPDESK_REPLY_RETRY_SECONDS, HELPDESK_REPLY_BACKOFF_SECONDS). Slack
retries inside slack_sdk's client (bot/platforms/slack/retries.py); Telegram retries 429 in
python-telegram-bot's rate limiter and everything else transient with `retrying` below, which the
library has no equivalent of. What is still unsent then goes to `Late.hand_over`.

Order: the replies to one chat stay in the order they were made. Once a chat has replies in the
outbox, its later replies are queued behind them (`Late.behind`) until the outbox has sent them;
the delivery worker sends a chat's reply rows one after another. `Late` remembers such chats in
this process only: a person's next message handled by another process could overtake them.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Sequence, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.engine.messages import Outbound
from bot.platforms.base import RetryLater, TokenRefused
from bot.store import repo
from bot.store.models import utcnow
from bot.store.outbox import enqueue_replies, replies_waiting

log = logging.getLogger(__name__)

T = TypeVar("T")

LONGEST_PAUSE = 8.0  # seconds: the doubling pauses stop growing here


@dataclass(frozen=True)
class ReplyRetry:
    seconds: float = 30.0  # from the first failure of a turn's replies to the hand-over
    backoff: float = 0.5  # the first pause; each next one is twice as long

    @classmethod
    def from_settings(cls, settings: Settings) -> ReplyRetry:
        return cls(settings.reply_retry_seconds, settings.reply_backoff_seconds)

    def pause(self, attempt: int) -> float:
        return min(self.backoff * 2 ** attempt, LONGEST_PAUSE)


@dataclass
class Deadline:
    """The time left for one turn's replies, counted from their first failure."""

    retry: ReplyRetry
    clock: Callable[[], float] = time.monotonic
    _ends: float | None = field(default=None, init=False)

    def allows(self, pause: float) -> bool:
        now = self.clock()
        if self._ends is None:
            self._ends = now + self.retry.seconds
        return now + pause <= self._ends


async def retrying(call: Callable[[], Awaitable[T]], deadline: Deadline) -> T:
    """`call` until it succeeds, pausing after each RetryLater (its retry_after when given, else
    doubling pauses) while the deadline allows; then the last RetryLater is raised. A refused token
    and every other error are raised at once."""
    attempt = 0
    while True:
        try:
            return await call()
        except TokenRefused:
            raise
        except RetryLater as exc:
            pause = exc.retry_after if exc.retry_after is not None else deadline.retry.pause(attempt)
            if not deadline.allows(pause):
                raise
            await asyncio.sleep(pause)
            attempt += 1


def turn_key(event_id: str | None) -> str:
    """What makes a turn's replies unique in the outbox: the platform's event id (a repeated event
    is answered once, so its replies are queued once); a turn without one gets a key of its own."""
    return event_id or f"turn-{uuid.uuid4().hex}"


class Late:
    """Replies handed to the outbox, for one platform in this process."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], platform: str, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.sessions = sessions
        self.platform = platform
        self.clock = clock
        self._chats: set[str] = set()  # chats with replies in the outbox, as far as we know

    async def behind(self, chat_id: str) -> bool:
        """Whether a new reply to the chat must wait behind replies already in the outbox."""
        if chat_id not in self._chats:
            return False
        async with self.sessions() as session:
            waiting = await replies_waiting(session, self.platform, chat_id)
        if not waiting:
            self._chats.discard(chat_id)
        return waiting

    async def hand_over(
        self, chat_id: str, key: str, replies: Sequence[tuple[int, Outbound]], *,
        user_id: str | None = None, retry_after: float | None = None, reason: str = "",
    ) -> None:
        """Queue `replies` (each with its place among the turn's replies) for the delivery worker,
        not before `retry_after` seconds. A database that fails here loses them: said in the log."""
        if not replies:
            return
        now = self.clock()
        not_before = now + timedelta(seconds=retry_after) if retry_after else now
        try:
            async with self.sessions.begin() as session:
                person = await repo.person_by_platform(session, self.platform, user_id) if user_id else None
                await enqueue_replies(
                    session, platform=self.platform, chat_id=chat_id, key=key, replies=replies, now=now,
                    not_before=not_before, person_id=person.id if person is not None else None,
                )
        except Exception:  # noqa: BLE001 - nothing else can be done for these replies; say so loudly
            log.exception("%s: %d reply(ies) of %s lost: the outbox could not take them", self.platform, len(replies), key)
            return
        self._chats.add(chat_id)
        log.warning("%s: %d reply(ies) of %s handed to the outbox (%s)", self.platform, len(replies), key, reason)


def token_refused(platform: str, key: str, error: Exception) -> None:
    """The bot's own token was refused: retrying or queueing would fail the same way."""
    log.error("%s: the bot's token was refused; the replies of %s are not sent (%s)", platform, key, error)
