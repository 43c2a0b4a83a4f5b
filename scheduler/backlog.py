"""What waits in the outbox and what failed there lately, per platform, for `helpdesk doctor`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import OutboxRow


@dataclass(frozen=True)
class Waiting:
    platform: str
    rows: int  # pending, or on their way ("sending")
    oldest_due: datetime | None  # the earliest not_before of those already due


@dataclass(frozen=True)
class Failures:
    platform: str
    reason: str
    rows: int


async def waiting(session: AsyncSession, now: datetime) -> list[Waiting]:
    rows = await session.execute(
        select(OutboxRow.platform, func.count(), func.min(OutboxRow.not_before).filter(OutboxRow.not_before <= now))
        .where(OutboxRow.status.in_(("pending", "sending")))
        .group_by(OutboxRow.platform)
        .order_by(OutboxRow.platform)
    )
    return [Waiting(platform, int(count), oldest) for platform, count, oldest in rows]


async def failures(session: AsyncSession, now: datetime, within: timedelta = timedelta(hours=24)) -> list[Failures]:
    """Failed rows whose last attempt was due within `within` (a row keeps no time of failure; its
    last attempt started at or after its not_before), counted by reason, most first."""
    count = func.count()
    rows = await session.execute(
        select(OutboxRow.platform, OutboxRow.last_error, count)
        .where(OutboxRow.status == "failed", OutboxRow.not_before >= now - within)
        .group_by(OutboxRow.platform, OutboxRow.last_error)
        .order_by(count.desc(), OutboxRow.platform)
    )
    return [Failures(platform, reason or "no reason recorded", int(n)) for platform, reason, n in rows]
