"""/help, /status and /lang."""

from __future__ import annotations

from bot.turn.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.handlers.start import welcome
from bot.hearing.menus import status_text
from bot.hearing.sheet import load
from bot.store import repo


async def handle_help(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    role = ctx.person.role
    key = {"secretariat": "help.secretariat", "expert": "help.expert", "member": "help.registered", "lead": "help.registered"}
    return [Outbound(ctx.say(key.get(role or "", "help.unregistered")))]


async def handle_status(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    lines = [await welcome(ctx)]
    company = await repo.company_by_id(ctx.session, ctx.person.company_id)
    view = await load(ctx.session, ctx.content, company) if company is not None else None
    if view is not None and ctx.person.role not in ("expert", "secretariat"):
        lines.append(status_text(ctx.say, view))
    return [Outbound("\n".join(lines))]


async def handle_lang(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    choice = args.strip().lower()
    if choice not in ("ja", "en"):
        return [Outbound(ctx.say("lang.usage"), kind="error")]
    ctx.person.language = choice
    return [Outbound(ctx.say("lang.set"))]
