"""Guessing codes is rate-limited per person: invitation codes (/start CODE) and link codes
(/link CODE) alike. After GUESS_LIMIT refused codes of either kind within GUESS_WINDOW the person
must wait; the refusals are read from the audit log, where every attempt is recorded anyway, so
the limit holds across restarts and across the bot's processes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.turn.context import Ctx
from bot.store.models import AuditEntry

GUESS_LIMIT = 5
GUESS_WINDOW = timedelta(minutes=15)
# One budget for both: a guesser must not get twice the tries by alternating the two commands.
GUESSED_ACTIONS = ("join", "link")


async def too_many_guesses(ctx: Ctx) -> bool:
    since = ctx.now - GUESS_WINDOW
    refused = await ctx.session.scalar(
        select(func.count()).where(
            AuditEntry.actor_id == ctx.person.id, AuditEntry.action.in_(GUESSED_ACTIONS),
            AuditEntry.allowed.is_(False), AuditEntry.at >= since,
        )
    )
    return int(refused or 0) >= GUESS_LIMIT


def wait_minutes() -> int:
    return int(GUESS_WINDOW.total_seconds() // 60)
