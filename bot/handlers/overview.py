"""/overview (secretariat): every company with its hearing progress, open incidents and members."""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.policy import Action
from bot.reports.overview import company_rows


async def handle_overview(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    if not ctx.may(Action.OVERVIEW):
        return [Outbound(ctx.say("policy.secretariat_only"), kind="error")]
    rows = await company_rows(ctx.session, ctx.content, ctx.lang)
    if not rows:
        return [Outbound(ctx.say("overview.empty"))]
    lines = [ctx.say("overview.title", count=len(rows))]
    for row in rows:
        lines.append(ctx.say("overview.line", **row.as_params()))
    return [Outbound("\n".join(lines))]
