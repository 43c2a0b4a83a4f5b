"""The company's hearing sheet in the database: one sheet per company and flow, answers with who
gave them. Callers own the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.flow import Answer
from bot.engine.step import Recorded
from bot.store.models import HearingSheet, Person, SheetAnswer
from bot.store.repo import insert_for


@dataclass(frozen=True)
class Given:
    """The current answer to one question of a sheet, and who gave it when."""

    answer: Answer
    person_id: int | None
    answered_at: datetime
    row_id: int


async def sheet_of(session: AsyncSession, company_id: int, flow_id: str) -> HearingSheet | None:
    return await session.scalar(
        select(HearingSheet).where(HearingSheet.company_id == company_id, HearingSheet.flow_id == flow_id)
    )


async def sheet_for(session: AsyncSession, company_id: int, flow_id: str, now: datetime) -> HearingSheet:
    """The company's sheet, made on first use. Two members opening it at once: the second insert
    is a no-op and both read the one row."""
    existing = await sheet_of(session, company_id, flow_id)
    if existing is not None:
        return existing
    await session.execute(
        insert_for(session, HearingSheet)
        .values(company_id=company_id, flow_id=flow_id, status="open", members_may_submit=False,
                created_at=now, updated_at=now, version=1)
        .on_conflict_do_nothing()
    )
    sheet = await sheet_of(session, company_id, flow_id)
    assert sheet is not None  # just inserted, or inserted by the other member
    return sheet


async def given_answers(session: AsyncSession, sheet_id: int) -> dict[str, Given]:
    """Key -> current answer: the newest row of each key (rows are append-only)."""
    rows = await session.execute(
        select(
            SheetAnswer.id, SheetAnswer.question_key, SheetAnswer.value, SheetAnswer.raw_text,
            SheetAnswer.skipped, SheetAnswer.unknown, SheetAnswer.person_id, SheetAnswer.answered_at,
        )
        .where(SheetAnswer.sheet_id == sheet_id)
        .order_by(SheetAnswer.id)
    )
    out: dict[str, Given] = {}
    for row_id, key, value, raw, skipped, unknown, person_id, at in rows:
        out[key] = Given(Answer(value, raw, bool(skipped), bool(unknown)), person_id, at, row_id)
    return out


async def record(
    session: AsyncSession, sheet: HearingSheet, recorded: Iterable[Recorded], person_id: int | None, now: datetime,
) -> int:
    """Append answers and bump the sheet's version: a member who answered on the same state in
    another transaction fails at commit (StaleDataError), and the runtime redoes their message on
    the new state, where they are told. Returns the id of the newest answer written (0 for none)."""
    rows = [
        SheetAnswer(
            sheet_id=sheet.id, question_key=r.key, raw_text=r.raw, value=r.value, skipped=r.skipped,
            unknown=r.unknown, person_id=person_id, answered_at=now,
        )
        for r in recorded
    ]
    if not rows:
        return 0
    session.add_all(rows)
    sheet.updated_at = now
    await session.flush()
    return rows[-1].id


async def history(session: AsyncSession, sheet_id: int) -> list[SheetAnswer]:
    return list(await session.scalars(select(SheetAnswer).where(SheetAnswer.sheet_id == sheet_id).order_by(SheetAnswer.id)))


async def names_of(session: AsyncSession, person_ids: Iterable[int | None]) -> dict[int, str]:
    """How people are named beside their answers: the name they gave in /profile, else their
    display name on the platform."""
    wanted = {i for i in person_ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Person.id, Person.full_name, Person.display_name, Person.platform_user_id).where(Person.id.in_(wanted))
    )
    return {pid: full or display or user for pid, full, display, user in rows}
