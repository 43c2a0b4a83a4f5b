"""Messages the intake could not match with confidence: kept in the database (not in logs) so the
secretariat can see what people write and add phrases to the content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.intake.reading import Reading
from bot.store.models import IntakeMiss


@dataclass(frozen=True)
class Where:
    person_id: int | None
    platform: str
    language: str


async def keep(session: AsyncSession, reading: Reading, where: Where, now: datetime) -> None:
    best = reading.best
    session.add(IntakeMiss(
        created_at=now, person_id=where.person_id, platform=where.platform, language=where.language,
        text=reading.text, best=best.target.key if best else None, score=best.score if best else None,
    ))


async def since(session: AsyncSession, start: datetime, limit: int = 500) -> list[IntakeMiss]:
    rows = await session.scalars(
        select(IntakeMiss).where(IntakeMiss.created_at >= start).order_by(IntakeMiss.created_at.desc()).limit(limit)
    )
    return list(rows)
