"""How fast a delivery worker may send to one platform, and the pacing that keeps it there.

Telegram: about 30 messages per second overall, one per second to a chat and 20 per minute to a
group (Bot FAQ, "My bot is hitting limits"; group chat ids are negative). Slack: chat.postMessage allows about one message per second per channel and
keeps a workspace-wide limit it does not number (docs.slack.dev, "Rate limits"); 10 per second
overall is our own cautious choice. The console has no limits.

Sends are paced evenly at `margin` of the limit, and a sliding window over the send times makes
sure no second ever holds more than the limit, with a guard for the jitter between our clock and
the platform's: even spacing alone can bunch up when one call is held back a few milliseconds (a
database commit) and the next is not.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import Awaitable, Callable


@dataclass(frozen=True)
class Limits:
    overall: float | None  # messages per second for the whole bot; None: no limit
    per_chat: float | None  # messages per second to one chat
    per_group: float | None = None  # to one group chat (Telegram: chat ids below zero), if lower
    concurrency: int = 8  # platform calls in flight at once (latency would cap the rate otherwise)


PLATFORM_LIMITS: dict[str, Limits] = {
    "telegram": Limits(overall=30.0, per_chat=1.0, per_group=20 / 60),
    "slack": Limits(overall=10.0, per_chat=1.0),
    "console": Limits(overall=None, per_chat=None, concurrency=1),
}
DEFAULT_MARGIN = 0.97
WINDOW_GUARD = 0.05  # seconds added to the one-second window
# Many 429s close together mean the bot as a whole is over the limit, not one chat: then every
# send waits out Retry-After. A 429 now and then only holds back its own chat (a fixed count would
# pause a fast bot for a scattering of unrelated 429s: 3 in a second happen at 2 % of 30/s).
BURST_SHARE = 0.2  # of a second's sends
BURST_MIN = 3
BURST_WINDOW = 1.0  # seconds


def limits_for(platform: str) -> Limits:
    return PLATFORM_LIMITS.get(platform, Limits(overall=1.0, per_chat=1.0, concurrency=1))


class Pacer:
    """Evenly spaced send slots, overall and per chat, and pauses after a 429.

    `clock` and `sleep` are injectable so tests check the spacing without waiting."""

    def __init__(
        self, limits: Limits, *, margin: float = DEFAULT_MARGIN,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self._interval = 1.0 / (limits.overall * margin) if limits.overall else 0.0
        self._chat_interval = 1.0 / (limits.per_chat * margin) if limits.per_chat else 0.0
        self._group_interval = 1.0 / (limits.per_group * margin) if limits.per_group else self._chat_interval
        self._next = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[str, float] = {}
        self._burst = max(BURST_MIN, int(BURST_SHARE * limits.overall)) if limits.overall else BURST_MIN
        self._sent: deque[float] = deque(maxlen=max(1, int(limits.overall)) if limits.overall else 1)
        self._recent_429: deque[float] = deque(maxlen=self._burst)

    async def overall(self) -> None:
        """Wait for the next overall slot (and the end of a pause)."""
        now = self.clock()
        slot = max(now, self._next, self._paused_until)
        self._next = slot + self._interval
        if slot > now:
            await self.sleep(slot - now)

    async def window(self) -> None:
        """Before a platform call: wait while the last second already holds the limit."""
        if not self.limits.overall:
            return
        while len(self._sent) == self._sent.maxlen and (wait := self._sent[0] + 1.0 + WINDOW_GUARD - self.clock()) > 0:
            await self.sleep(wait)
        self._sent.append(self.clock())

    async def chat(self, chat_id: str) -> None:
        """Wait until `chat_id` may get its next message."""
        if not self._chat_interval and chat_id not in self._chat_next:
            return
        now = self.clock()
        slot = max(now, self._chat_next.get(chat_id, 0.0))
        self._chat_next[chat_id] = slot + (self._group_interval if chat_id.startswith("-") else self._chat_interval)
        if len(self._chat_next) > 10_000:  # forget chats whose slot has passed
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        if slot > now:
            await self.sleep(slot - now)

    def retry_after(self, chat_id: str, seconds: float) -> None:
        """A 429: hold back the chat, and everyone if 429s come in a burst."""
        now = self.clock()
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), now + seconds)
        self._recent_429.append(now)
        if len(self._recent_429) == self._burst and now - self._recent_429[0] <= BURST_WINDOW:
            self._paused_until = max(self._paused_until, now + seconds)
            self._recent_429.clear()
