"""/overview (secretariat): every company with its hearing progress, open incidents, members and next
visit, by the content's labels in the reader's language."""

from __future__ import annotations

from bot.turn.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.policy import Action
from bot.reports.overview import company_rows
from scheduler.localtime import format_local


async def handle_overview(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    if not ctx.may(Action.OVERVIEW):
        return [Outbound(ctx.say("policy.secretariat_only"), kind="error")]
    rows = await company_rows(ctx.session, ctx.content, ctx.lang, ctx.now)
    if not rows:
        return [Outbound(ctx.say("overview.empty"))]
    lines = [ctx.say("overview.title", count=len(rows))]
    for row in rows:
        visit = row.next_visit
        next_visit = (
            ctx.say("overview.next_visit", n=visit.number, at=format_local(visit.starts_at, ctx.tz, ctx.content.book, ctx.lang))
            if visit else ctx.say("overview.no_visit")
        )
        lines.append(ctx.say("overview.line", **row.labelled(ctx.content, ctx.lang, next_visit)))
    return [Outbound("\n".join(lines))]
