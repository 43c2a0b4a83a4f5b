"""/web: a one-time sign-in link to the web desk, for the secretariat, experts and leads (bot.policy
decides and records). Never in a group chat, where everyone would see the link."""

from __future__ import annotations

from bot.config import get_settings
from bot.turn.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.web.links import base_url, sign_in_url


async def handle_web(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    if inbound.in_group:
        return [Outbound(ctx.say("web.link_in_group"), kind="error")]
    url = await sign_in_url(ctx.session, ctx.actor, ctx.now, base_url(get_settings()))
    if url is None:
        return [Outbound(ctx.say("web.link_not_allowed"), kind="error")]
    return [Outbound(ctx.say("web.link_chat", url=url))]
