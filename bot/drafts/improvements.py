"""Improvement items (改善アクション, issue 19.4): what the briefing's findings show missing, as items
the company works through, each with an owner among its people, a due date and a status.

`sync` makes one item per finding that holds on the company's shared sheet now
(bot/reports/hearing.py fired_findings), keyed by "finding:<id>", so running it again adds nothing;
an item stays when its finding no longer holds, since the company may be midway through it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.reports.hearing import current_answers, fired_findings
from bot.reports.sheet import sheet_answers
from bot.store.models import Company, ImprovementItem, Person

STATUSES = ("open", "doing", "done")
FINDING = "finding:"


@dataclass(frozen=True)
class Synced:
    findings: int  # findings that hold now
    added: list[ImprovementItem]


async def sync(session: AsyncSession, content: Content, company: Company, now: datetime) -> Synced:
    """Add an item for each of the company's current findings that has none yet."""
    flow = content.hearing_flow(company.course)
    if flow is None:
        return Synced(0, [])
    _, answers = current_answers(await sheet_answers(session, company, flow))
    rules = fired_findings(content, answers)
    have = set(await session.scalars(select(ImprovementItem.source).where(ImprovementItem.company_id == company.id)))
    added = [
        ImprovementItem(
            company_id=company.id, source=f"{FINDING}{rule.id}", title_ja=rule.text.get("ja"), title_en=rule.text.get("en"),
            status="open", created_at=now, updated_at=now,
        )
        for rule in rules if f"{FINDING}{rule.id}" not in have
    ]
    session.add_all(added)
    await session.flush()
    return Synced(len(rules), added)


async def items_of(session: AsyncSession, company_id: int) -> list[ImprovementItem]:
    return list(await session.scalars(
        select(ImprovementItem).where(ImprovementItem.company_id == company_id).order_by(ImprovementItem.id)
    ))


async def open_counts(session: AsyncSession) -> dict[int, int]:
    """Per company, the items not done yet (the secretariat's overview)."""
    query = (
        select(ImprovementItem.company_id, func.count())
        .where(ImprovementItem.status != "done").group_by(ImprovementItem.company_id)
    )
    return {company_id: int(count) for company_id, count in (await session.execute(query)).all()}


def person_name(person: Person) -> str:
    return person.full_name or person.display_name or person.platform_user_id


def _key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


async def people_of(session: AsyncSession, company_id: int) -> list[Person]:
    return list(await session.scalars(select(Person).where(Person.company_id == company_id).order_by(Person.id)))


def find_person(people: list[Person], name: str) -> Person | None:
    """The one person whose name (full name, display name or account) reads as `name`, spaces and
    full-width letters aside; None when nobody or several do."""
    key = _key(name)
    found = [p for p in people if key in {_key(n) for n in (p.full_name, p.display_name, p.platform_user_id) if n}]
    return found[0] if len(found) == 1 else None


def change(item: ImprovementItem, now: datetime, *, owner: Person | None = None, due: date | None = None,
           status: str | None = None) -> None:
    if owner is not None:
        item.owner_id = owner.id
    if due is not None:
        item.due_on = due
    if status is not None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        item.status = status
    item.updated_at = now
