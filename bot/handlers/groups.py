"""Group chats: commands only, never a flow, never one member's answers.

A company's lead links a group with /link, or with /start in the group (what Telegram's "add to
group" link t.me/<bot>?startgroup=link sends, as "/start link"), so that the company's incident
notices go there too (`chats`, purpose "incidents", which the escalation reads). Everything else
gets "please do this in a private chat".
"""

from __future__ import annotations

from sqlalchemy import select

from bot.turn.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.incidents.notify import INCIDENT_CHAT as PURPOSE
from bot.policy import Action, Resource
from bot.store import repo
from bot.store.models import Chat, Company

# Telegram's t.me/<bot>?startgroup=link adds the bot to a group and sends "/start link" there.
START_GROUP_PAYLOAD = "link"


async def handle_group(ctx: Ctx, inbound: Inbound, command: tuple[str, str] | None) -> list[Outbound]:
    if command is None or inbound.chat_id is None:
        return [_private_only(ctx)]
    name, args = command
    if name in ("link", "start"):
        if args and not (name == "start" and args.lower() == START_GROUP_PAYLOAD):
            # A code ("/start CODE", "/link CODE" joining accounts) in a group is shown to everybody.
            return [_private_only(ctx)]
        return await _link(ctx, inbound.platform, inbound.chat_id)
    if name == "unlink":
        return await _unlink(ctx, inbound.platform, inbound.chat_id)
    if name == "status":
        return await _status(ctx, inbound.platform, inbound.chat_id)
    if name in ("help", "menu"):
        return [Outbound(ctx.say("group.help"))]
    return [_private_only(ctx)]


def _private_only(ctx: Ctx) -> Outbound:
    return Outbound(ctx.say("group.private_only"))


def may_link(ctx: Ctx, company_id: int | None) -> bool:
    """Only a company's lead decides where its incident notices go (bot/policy decides, and logs)."""
    return ctx.may(Action.LINK_GROUP, Resource(company_id=company_id, name="group chat"))


async def _linked(ctx: Ctx, platform: str, chat_id: str) -> Chat | None:
    return await ctx.session.scalar(
        select(Chat).where(Chat.platform == platform, Chat.chat_id == chat_id, Chat.purpose == PURPOSE)
    )


async def _link(ctx: Ctx, platform: str, chat_id: str) -> list[Outbound]:
    if ctx.person.company_id is None:
        return [Outbound(ctx.say("group.not_registered"), kind="error")]
    if not may_link(ctx, ctx.person.company_id):
        return [Outbound(ctx.say("group.lead_only"), kind="error")]
    company = await repo.company_by_id(ctx.session, ctx.person.company_id)
    assert company is not None
    existing = await _linked(ctx, platform, chat_id)
    if existing is not None:
        if existing.company_id != company.id:
            # Which company it is belongs to that company: not named here.
            return [Outbound(ctx.say("group.linked_elsewhere"), kind="error")]
        return [Outbound(ctx.say("group.already_linked", company=company.name))]
    ctx.session.add(
        Chat(platform=platform, chat_id=chat_id, company_id=company.id, purpose=PURPOSE, created_at=ctx.now)
    )
    return [Outbound(ctx.say("group.linked", company=company.name))]


async def _unlink(ctx: Ctx, platform: str, chat_id: str) -> list[Outbound]:
    existing = await _linked(ctx, platform, chat_id)
    if existing is None:
        return [Outbound(ctx.say("group.not_linked"))]
    if not may_link(ctx, existing.company_id):
        return [Outbound(ctx.say("group.lead_only"), kind="error")]
    await ctx.session.delete(existing)
    return [Outbound(ctx.say("group.unlinked"))]


async def _status(ctx: Ctx, platform: str, chat_id: str) -> list[Outbound]:
    existing = await _linked(ctx, platform, chat_id)
    if existing is None:
        return [Outbound(ctx.say("group.not_linked"))]
    if ctx.person.company_id != existing.company_id:
        # Everyone in a group reads the answer: which company it belongs to is told to its own
        # people only (the participation agreement's confidentiality).
        return [Outbound(ctx.say("group.status_linked_unnamed"))]
    company = await ctx.session.get(Company, existing.company_id)
    assert company is not None
    return [Outbound(ctx.say("group.status_linked", company=company.name))]
