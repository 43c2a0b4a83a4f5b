"""/start [CODE]: welcome, and joining a company with an invitation code.

Guessing codes is rate-limited per person (bot/handlers/guessing.py). Every attempt is in the audit
log (a join is a role change)."""

from __future__ import annotations

from bot.turn.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.handlers.guessing import too_many_guesses, wait_minutes
from bot.policy import audit
from bot.store import repo


async def handle_start(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    code = args.strip().split()[0] if args.strip() else ""
    if not code:
        return [Outbound(await welcome(ctx))]
    if await too_many_guesses(ctx):
        return [Outbound(ctx.say("start.too_many_attempts", minutes=wait_minutes()), kind="error")]
    result = await repo.redeem_invitation(ctx.session, ctx.person, code, ctx.now)
    masked = code.strip().upper()[:3] + "…"  # enough to trace a leaked code, not enough to reuse it
    joined = result.outcome == "joined"
    if result.outcome in ("joined", "already", "other_company"):
        audit(ctx.session, ctx.actor, "join", ctx.now, allowed=result.outcome != "other_company",
              company_id=result.company.id if result.company else None, target=masked,
              detail={"outcome": result.outcome, "role": result.role})
    else:
        audit(ctx.session, ctx.actor, "join", ctx.now, allowed=False, target=masked, detail={"outcome": result.outcome})
    if result.outcome in ("joined", "already") and result.company is not None:
        key = "start.joined" if joined else "start.already"
        if result.role == "expert":
            key += "_expert"
        return [Outbound(ctx.say(key, company=result.company.name, role=ctx.say(f"role.{result.role}")))]
    if result.outcome == "other_company":
        return [Outbound(ctx.say("start.other_company"), kind="error")]
    # unknown, expired and used-up codes: say what to do next
    return [Outbound(ctx.say(f"start.code_{result.outcome}"), kind="error")]


async def welcome(ctx: Ctx) -> str:
    if ctx.person.role == "secretariat":
        return ctx.say("start.welcome_secretariat")
    if ctx.person.role == "expert":
        return ctx.say("start.welcome_expert", count=len(ctx.actor.expert_companies))
    company = await repo.company_by_id(ctx.session, ctx.person.company_id)
    if company is None:
        return ctx.say("start.welcome_unregistered")
    return ctx.say(
        "start.welcome_registered", company=company.name,
        course=ctx.say(f"course.{company.course}"), role=ctx.say(f"role.{ctx.person.role}"),
    )
