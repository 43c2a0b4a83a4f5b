"""/report [COMPANY]: the hearing briefing in chat.

A member or the lead sees their company's sheet (answered together), an assigned expert or the
secretariat the company they name. A refusal and an unknown company name get the same answer."""

from __future__ import annotations

from bot.turn.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.policy import Action, Resource, Role
from bot.reports.hearing import build_report, to_chat
from bot.reports.sheet import SheetAnswers, sheet_answers
from bot.store import repo


async def handle_report(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    name = args.strip()
    if ctx.person.role in (Role.MEMBER, Role.LEAD) and not name:
        company = await repo.company_by_id(ctx.session, ctx.person.company_id)
    else:
        company = await repo.company_by_name(ctx.session, name) if name else None
        if not name:
            return [Outbound(ctx.say("report.usage"), kind="error")]
    flow = ctx.content.hearing_flow(company.course) if company is not None else None
    sheet: SheetAnswers | None = None
    if company is not None and flow is not None:
        sheet = await sheet_answers(ctx.session, company, flow)
    resource = Resource(company_id=company.id if company else None, name=company.name if company else name[:100])
    if not ctx.may(Action.READ_HEARING, resource) or company is None or sheet is None:
        return [Outbound(ctx.say("report.not_available"), kind="error")]
    return [Outbound(text) for text in to_chat(build_report(ctx.content, company, ctx.lang, sheet))]
