"""Short references to an incident: `7`, `#7`, `INC-7`, `inc-2026-0007`, `INC-2026-0007`.

A reference is looked up only among the reports the person may see (bot.policy.incident_companies),
so a reference to another company's report reads exactly like one to no report at all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Incident

# The year is optional; the sequence is the number after it (INC-2026-0007 -> 2026, 7).
_REF = re.compile(r"^(?:#|inc-?)?(?:(\d{4})-)?(\d{1,6})$", re.IGNORECASE)


@dataclass(frozen=True)
class Ref:
    year: int | None
    seq: int


def parse_ref(text: str) -> Ref | None:
    """The reference in `text` (NFKC: full-width ＩＮＣ－７ too), or None when it is not one."""
    cleaned = unicodedata.normalize("NFKC", text).strip().replace("ー", "-").replace("−", "-")
    match = _REF.match(cleaned)
    if match is None or int(match.group(2)) == 0:
        return None
    return Ref(int(match.group(1)) if match.group(1) else None, int(match.group(2)))


def _number_pattern(ref: Ref) -> str:
    year = str(ref.year) if ref.year is not None else "%"
    return f"INC-{year}-{ref.seq:04d}"


async def candidates(session: AsyncSession, text: str, companies: frozenset[int] | None) -> list[Incident]:
    """The visible reports a reference may name, newest first: none, one, or (`7` over two years)
    several, which the caller answers as ambiguous."""
    ref = parse_ref(text)
    if ref is None or (companies is not None and not companies):
        return []
    query = select(Incident).where(Incident.number.like(_number_pattern(ref)))
    if companies is not None:
        query = query.where(Incident.company_id.in_(companies))
    return list(await session.scalars(query.order_by(Incident.id.desc())))
