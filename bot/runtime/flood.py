"""Flood control per person: more than LIMIT messages within WINDOW, and the person is held for a
WINDOW. The message that crosses the limit gets one "please slow down" reply; the rest of the hold
gets none, and nothing of theirs is handled (no database work at all) until it is over.

Per process and in memory: each bot process counts what it receives. Several bot processes on one
database each allow LIMIT, so a person spread over N of them gets up to N times as many through;
that still stops one script from filling the database, which is the point, and it costs no
database work per message. A restart forgets the counts.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

LIMIT = 20
WINDOW = timedelta(seconds=10)

Admission = Literal["accept", "warn", "drop"]


@dataclass
class _Sender:
    arrivals: deque[datetime] = field(default_factory=deque)  # accepted, within the window, oldest first
    held_until: datetime | None = None


class FloodGate:
    def __init__(self, limit: int = LIMIT, window: timedelta = WINDOW) -> None:
        if limit < 1:
            raise ValueError("a flood gate lets at least one message through")
        self.limit = limit
        self.window = window
        self._senders: dict[tuple[str, str], _Sender] = {}
        self._swept: datetime | None = None

    def admit(self, sender: tuple[str, str], now: datetime) -> Admission:
        """accept: handle it; warn: refuse it with the one reply; drop: refuse it silently."""
        self._sweep(now)
        seen = self._senders.setdefault(sender, _Sender())
        if seen.held_until is not None:
            if now < seen.held_until:
                return "drop"
            seen.held_until = None  # the hold is over: counting starts afresh
        while seen.arrivals and seen.arrivals[0] <= now - self.window:
            seen.arrivals.popleft()
        if len(seen.arrivals) >= self.limit:
            seen.arrivals.clear()
            seen.held_until = now + self.window
            return "warn"
        seen.arrivals.append(now)
        return "accept"

    def _sweep(self, now: datetime) -> None:
        """Forget people quiet for a whole window, once per window: memory stays with the people
        of the last few seconds, however many wrote before."""
        if self._swept is not None and now - self._swept < self.window:
            return
        self._swept = now
        idle = [
            key for key, seen in self._senders.items()
            if (seen.held_until is None or seen.held_until <= now)
            and (not seen.arrivals or seen.arrivals[-1] <= now - self.window)
        ]
        for key in idle:
            del self._senders[key]

    def __len__(self) -> int:
        """How many people it remembers."""
        return len(self._senders)
