"""Forgetting what only mattered for a while: inbound de-duplication keys, Telegram keyboards and
the intake's misses (people's own words, kept only as long as the secretariat needs to learn from them).

Every inbound message leaves a processed_events row and every Telegram keyboard a callback_keys row.
Nothing else deletes the first, and a keyboard's row goes only when the keyboard is used
(bot/platforms/telegram/presses.py), so without this both tables grow with the messages for as long
as the bot runs. The scheduling process runs `forget_old` every few hours (scheduler/service.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import CallbackKey, IntakeMiss, ProcessedEvent

# A platform redelivers an event within hours (Slack retries three times within the hour, Telegram
# keeps an update for 24 hours); a week is far beyond either.
EVENT_KEYS_KEPT = timedelta(days=7)
# A keyboard may be pressed long after it was sent: a question left open in a paused hearing, a
# visit reminder read late. After this a press is answered "this button has expired" and the
# person types the answer instead (bot/platforms/telegram/presses.py).
KEYBOARDS_KEPT = timedelta(days=90)
# Messages the intake did not match: the secretariat reads them (`helpdesk intake misses`) to add
# phrases; a quarter is long enough for that and short for keeping what people typed.
MISSES_KEPT = timedelta(days=90)


@dataclass(frozen=True)
class Forgotten:
    event_keys: int
    keyboards: int
    misses: int = 0


async def forget_old(session: AsyncSession, now: datetime) -> Forgotten:
    events = await session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < now - EVENT_KEYS_KEPT))
    keys = await session.execute(delete(CallbackKey).where(CallbackKey.created_at < now - KEYBOARDS_KEPT))
    misses = await session.execute(delete(IntakeMiss).where(IntakeMiss.created_at < now - MISSES_KEPT))
    return Forgotten(
        event_keys=events.rowcount or 0, keyboards=keys.rowcount or 0,  # type: ignore[attr-defined]
        misses=misses.rowcount or 0,  # type: ignore[attr-defined]
    )
