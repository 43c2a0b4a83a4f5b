"""/start [CODE]: welcome, and joining a company with an invitation code."""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.store import repo


async def handle_start(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    code = args.strip().split()[0] if args.strip() else ""
    if not code:
        return [Outbound(await welcome(ctx))]
    result = await repo.redeem_invitation(ctx.session, ctx.person, code, ctx.now)
    if result.outcome in ("joined", "already") and result.company is not None:
        key = "start.joined" if result.outcome == "joined" else "start.already"
        return [Outbound(ctx.say(key, company=result.company.name, role=ctx.say(f"role.{result.role}")))]
    if result.outcome == "other_company" and result.company is not None:
        return [Outbound(ctx.say("start.other_company", company=result.company.name))]
    # unknown, expired and used-up codes get the same kind of answer: say what to do next
    return [Outbound(ctx.say(f"start.code_{result.outcome}"), kind="error")]


async def welcome(ctx: Ctx) -> str:
    company = await repo.company_by_id(ctx.session, ctx.person.company_id)
    if company is None:
        return ctx.say("start.welcome_unregistered")
    return ctx.say(
        "start.welcome_registered", company=company.name,
        course=ctx.say(f"course.{company.course}"), role=ctx.say(f"role.{ctx.person.role}"),
    )
