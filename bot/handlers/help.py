"""/help, /status and /lang."""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.engine.step import answer_tally
from bot.handlers.start import welcome
from bot.store import repo


async def handle_help(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    role = ctx.person.role
    key = {"secretariat": "help.secretariat", "expert": "help.expert", "member": "help.registered", "lead": "help.registered"}
    return [Outbound(ctx.say(key.get(role or "", "help.unregistered")))]


async def handle_status(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    lines = [await welcome(ctx)]
    hearing_ids = [f.id for f in ctx.content.flows.values()]
    latest = await repo.latest_conversation(ctx.session, ctx.person.id, hearing_ids)
    if latest is not None:
        answers = await repo.load_answers(ctx.session, latest.id)
        lines.append(ctx.say(f"status.hearing_{latest.status}", **answer_tally(answers)))
    elif ctx.person.company_id is not None:
        lines.append(ctx.say("status.hearing_none"))
    return [Outbound("\n".join(lines))]


async def handle_lang(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    choice = args.strip().lower()
    if choice not in ("ja", "en"):
        return [Outbound(ctx.say("lang.usage"), kind="error")]
    ctx.person.language = choice
    return [Outbound(ctx.say("lang.set"))]
