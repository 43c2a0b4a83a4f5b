"""Submitting the company's sheet: the expert assigned and the secretariat are told, through the
outbox (never sent twice, never lost). A change after submission reopens the sheet
(bot/hearing/conversation.py); the report marks the answers changed since."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select

from bot.turn.context import Ctx
from bot.engine.messages import Outbound
from bot.hearing.sheet import CompanySheet
from bot.store import sheets
from bot.store.models import ExpertAssignment, Person
from scheduler.audience import secretariat
from scheduler.notices import queue_notice

Outcome = Literal["submitted", "already"]


async def submit(ctx: Ctx, view: CompanySheet) -> Outcome:
    sheet = view.sheet or await sheets.sheet_for(ctx.session, view.company.id, view.flow.id, ctx.now)
    if sheet.status == "submitted":
        return "already"
    sheet.status, sheet.submitted_at, sheet.submitted_by, sheet.updated_at = "submitted", ctx.now, ctx.person.id, ctx.now
    counts = view.counts
    company = view.company
    name = ctx.person.full_name or ctx.person.display_name or ctx.person.platform_user_id

    def render(lang: str) -> Outbound:
        text = ctx.content.book.say(
            "sheet.notice_submitted", lang, company=company.name, name=name, given=counts.given,
            total=counts.total, unknown=counts.unknown, open=counts.open,
        )
        return Outbound(text, kind="notice")

    experts = await ctx.session.scalars(
        select(Person).join(ExpertAssignment, ExpertAssignment.person_id == Person.id)
        .where(ExpertAssignment.company_id == company.id).order_by(Person.id)
    )
    people = [*experts, *await secretariat(ctx.session)]
    await queue_notice(
        ctx.session, kind="hearing_submitted", ref=f"sheet:{sheet.id}:submitted:{ctx.now.isoformat()}",
        people=people, render=render, now=ctx.now, audience=f"company:{company.name}",
        payload={"sheet": sheet.id, "company": company.id, "person": ctx.person.id}, created_by=ctx.person.id,
    )
    return "submitted"
