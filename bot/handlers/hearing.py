"""/hearing: start or resume the hearing sheet that fits the person's company course."""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.conversations import resume_flow, start_flow
from bot.engine.messages import Inbound, Outbound
from bot.policy import Action, Role
from bot.store import repo


async def handle_hearing(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    if ctx.person.role in (Role.EXPERT, Role.SECRETARIAT):
        # Registered, but not someone who answers: say what they can do instead of asking for a code.
        return [Outbound(ctx.say("hearing.for_participants"), kind="error")]
    company = await repo.company_by_id(ctx.session, ctx.person.company_id)
    if company is None or not ctx.may(Action.ANSWER_HEARING):
        return [Outbound(ctx.say("hearing.not_registered"), kind="error")]
    flow = ctx.content.hearing_flow(company.course)
    if flow is None:
        return [Outbound(ctx.say("hearing.no_flow"), kind="error")]
    hearing_ids = [f.id for f in ctx.content.flows.values()]
    open_one = await repo.open_conversation(ctx.session, ctx.person.id, hearing_ids)
    if open_one is not None:
        return await resume_flow(ctx, open_one)
    latest = await repo.latest_conversation(ctx.session, ctx.person.id, hearing_ids)
    if latest is not None and latest.status == "completed" and args.strip().lower() != "new":
        return [Outbound(ctx.say("hearing.already_completed"))]
    return await start_flow(ctx, flow)
