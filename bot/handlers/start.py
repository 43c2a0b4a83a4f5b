"""/start [CODE]: welcome, and joining a company with an invitation code.

Guessing codes is rate-limited per person: after GUESS_LIMIT refused codes within GUESS_WINDOW the
person must wait. Every attempt is in the audit log (a join is a role change)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.engine.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.policy import audit
from bot.store import repo
from bot.store.models import AuditEntry

GUESS_LIMIT = 5
GUESS_WINDOW = timedelta(minutes=15)


async def handle_start(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    code = args.strip().split()[0] if args.strip() else ""
    if not code:
        return [Outbound(await welcome(ctx))]
    if await _recent_failures(ctx) >= GUESS_LIMIT:
        return [Outbound(ctx.say("start.too_many_attempts", minutes=int(GUESS_WINDOW.total_seconds() // 60)), kind="error")]
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


async def _recent_failures(ctx: Ctx) -> int:
    since = ctx.now - GUESS_WINDOW
    return int(
        await ctx.session.scalar(
            select(func.count()).where(
                AuditEntry.actor_id == ctx.person.id, AuditEntry.action == "join",
                AuditEntry.allowed.is_(False), AuditEntry.at >= since,
            )
        ) or 0
    )


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
