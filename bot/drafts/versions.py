"""Which company has which draft at which version, read from the audit log: every draft made is an
audited MAKE_DRAFT entry with its document and version, so no table of its own is needed (the
drafts are made again from the answers whenever asked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.policy import DONE, Action
from bot.store.models import AuditEntry, Company


@dataclass(frozen=True)
class Made:
    company: str
    document: str
    version: int
    at: datetime
    by: str


async def made_drafts(session: AsyncSession, company_id: int | None = None) -> list[Made]:
    """Every draft made (done, not refused or failed), oldest first."""
    query = (
        select(AuditEntry, Company.name)
        .join(Company, Company.id == AuditEntry.company_id)
        .where(AuditEntry.action == Action.MAKE_DRAFT.value, AuditEntry.allowed.is_(True))
        .order_by(AuditEntry.id)
    )
    if company_id is not None:
        query = query.where(AuditEntry.company_id == company_id)
    out = []
    for entry, name in (await session.execute(query)).all():
        detail = entry.detail or {}
        if detail.get("outcome", DONE) == DONE and "document" in detail:
            out.append(Made(name, str(detail["document"]), int(detail.get("version", 0)), entry.at, entry.actor_label))
    return out


async def next_version(session: AsyncSession, company_id: int, document: str) -> int:
    """The version a new draft of this document gets: one more than the last one made."""
    made = [m.version for m in await made_drafts(session, company_id) if m.document == document]
    return max(made, default=0) + 1


def latest(made: list[Made]) -> list[Made]:
    """The latest version of each company's documents."""
    last: dict[tuple[str, str], Made] = {}
    for item in made:
        last[(item.company, item.document)] = item
    return sorted(last.values(), key=lambda m: (m.company, m.document))
