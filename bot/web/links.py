"""A sign-in link for a person, as `helpdesk web login` and /web in chat hand it out: bot.policy
decides who may have one (and records it), bot.web.signin makes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.policy import Action, Actor, Resource, authorize
from bot.web.signin import create_link

DEFAULT_PORT = 8080


def base_url(settings: Settings, port: int | None = None) -> str:
    """Where the desk is reached: HELPDESK_WEB_BASE_URL (a proxy's https address), else this host."""
    if settings.web_base_url:
        return settings.web_base_url.rstrip("/")
    return f"http://127.0.0.1:{port or settings.web_port or DEFAULT_PORT}"


async def sign_in_url(session: AsyncSession, actor: Actor, now: datetime, base: str) -> str | None:
    """A one-time link for the actor, or None when bot.policy refuses (recorded either way)."""
    if actor.person_id is None or not authorize(session, actor, Action.WEB_SIGN_IN, Resource(), now, {"step": "link"}):
        return None
    token = await create_link(session, actor.person_id, now)
    return f"{base}/login/{token}"
