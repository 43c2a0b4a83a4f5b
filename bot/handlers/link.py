"""/link: one person on several platforms. `/link` gives a one-time code; `/link CODE` sent from the
other platform joins that account to the same person (same company, role, conversations).

A code joins an account to someone's company and role, so guessing one is rate-limited together
with invitation codes (bot/handlers/guessing.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import delete, select, update

from bot.turn.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.handlers.guessing import too_many_guesses, wait_minutes
from bot.policy import audit
from bot.store import repo
from bot.store.models import Conversation, Identity, Incident, IncidentEvent, LinkCode, Person

LINK_VALID = timedelta(minutes=10)


async def handle_link(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    code = args.strip().upper()
    if not code:
        if ctx.person.role is None:
            return [Outbound(ctx.say("link.register_first"), kind="error")]
        new = LinkCode(code=repo.new_code(8), person_id=ctx.person.id, expires_at=ctx.now + LINK_VALID)
        ctx.session.add(new)
        return [Outbound(ctx.say("link.code", code=new.code, minutes=int(LINK_VALID.total_seconds() // 60)))]
    if await too_many_guesses(ctx):
        return [Outbound(ctx.say("link.too_many_attempts", minutes=wait_minutes()), kind="error")]
    link = await ctx.session.get(LinkCode, code)
    if link is None or link.used_at is not None or link.expires_at <= ctx.now:
        audit(ctx.session, ctx.actor, "link", ctx.now, allowed=False, target=code[:3] + "…")
        return [Outbound(ctx.say("link.bad_code"), kind="error")]
    if link.person_id == ctx.person.id:
        return [Outbound(ctx.say("link.same_account"), kind="error")]
    target = await ctx.session.get(Person, link.person_id)
    here = ctx.person
    if target is None or (here.role is not None and (here.company_id, here.role) != (target.company_id, target.role)):
        # Two registered accounts in different places are not merged: the secretariat decides.
        audit(ctx.session, ctx.actor, "link", ctx.now, allowed=False, target=code[:3] + "…", detail={"reason": "registered elsewhere"})
        return [Outbound(ctx.say("link.conflict"), kind="error")]
    link.used_at = ctx.now
    await _merge(ctx, here, target)
    # Recorded as the person the account now belongs to: this account's old person is gone.
    audit(ctx.session, replace(ctx.actor, person_id=target.id), "link", ctx.now, allowed=True,
          company_id=target.company_id, target=f"{inbound.platform}:{inbound.user_id}", detail={"into": target.id})
    return [Outbound(ctx.say("link.done"))]


async def _merge(ctx: Ctx, source: Person, target: Person) -> None:
    """Move everything of `source` (this account's person) to `target`, then drop `source`."""
    await ctx.session.execute(update(Identity).where(Identity.person_id == source.id).values(person_id=target.id))
    await ctx.session.execute(update(Conversation).where(Conversation.person_id == source.id).values(person_id=target.id))
    await ctx.session.execute(update(Incident).where(Incident.reporter_id == source.id).values(reporter_id=target.id))
    await ctx.session.execute(update(IncidentEvent).where(IncidentEvent.person_id == source.id).values(person_id=target.id))
    # At most one open conversation stays active: the target's own, if it has one.
    open_ones = list(
        await ctx.session.scalars(
            select(Conversation).where(Conversation.person_id == target.id, Conversation.status == "active")
            .order_by(Conversation.updated_at.desc())
        )
    )
    for extra in open_ones[1:]:
        extra.status = "paused"
    await ctx.session.execute(delete(Person).where(Person.id == source.id))
