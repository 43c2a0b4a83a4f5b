"""The answers a draft is made from: the one place that reads a company's hearing for the drafts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.engine.flow import Answer
from bot.reports.hearing import company_hearing
from bot.store import repo
from bot.store.models import Company


async def company_answers(session: AsyncSession, content: Content, company: Company) -> dict[str, Answer]:
    """The company's answers by question key (`employees`, `business_processes[1].process_rto`).

    For now the company's hearing as the hearing report reads it (its latest completed sheet, else the
    latest worked on); when the sheet becomes the company's own, only this function changes."""
    conversation = await company_hearing(session, company.id, list(content.flows))
    if conversation is None:
        return {}
    return await repo.load_answers(session, conversation.id)
