"""A company named by the secretariat (CLI, chat, CSV): found as bot/store/names.py compares names,
or a ProgrammeError that offers the closest registered names."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.parse import clean_text
from bot.store import repo
from bot.store.models import Company
from bot.store.names import closest
from scheduler.errors import ProgrammeError


async def company_named(session: AsyncSession, name: str) -> Company:
    """The company named, for the secretariat's calendar commands: a typo is answered with the
    closest registered names (the secretariat sees every company anyway)."""
    company = await repo.company_by_name(session, clean_text(name))
    if company is None:
        near = closest(clean_text(name), [c.name for c in await repo.list_companies(session)])
        if near:
            raise ProgrammeError("programme.unknown_company_near", name=clean_text(name)[:100], near=", ".join(near))
        raise ProgrammeError("programme.unknown_company", name=clean_text(name)[:100])
    return company
