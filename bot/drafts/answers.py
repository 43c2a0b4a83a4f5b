"""The answers a draft is made from: the one place that reads a company's hearing for the drafts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.engine.flow import Answer
from bot.reports.sheet import sheet_answers
from bot.store.models import Company


async def company_answers(session: AsyncSession, content: Content, company: Company) -> dict[str, Answer]:
    """The company's answers by question key (`employees`, `business_processes[1].process_rto`):
    its shared hearing sheet, as the briefing reads it."""
    flow = content.hearing_flow(company.course)
    if flow is None:
        return {}
    return (await sheet_answers(session, company, flow)).answers
