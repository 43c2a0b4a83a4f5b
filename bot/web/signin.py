"""One-time sign-in links and browser sessions (tables web_links, web_sessions).

Only SHA-256 hashes of the link tokens and session ids are stored, so a copy of the database signs
nobody in. A link is spent by one UPDATE that also checks it is unused and unexpired: two browsers
opening the same link at once, on any number of processes, sign in once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import WebLink, WebSession

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=8)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


async def create_link(session: AsyncSession, person_id: int, now: datetime) -> str:
    """A new link token for the person (the caller has asked bot.policy); expired links go."""
    await session.execute(delete(WebLink).where(WebLink.expires_at < now - LINK_TTL))
    token = secrets.token_urlsafe(32)
    session.add(WebLink(token_hash=digest(token), person_id=person_id, expires_at=now + LINK_TTL))
    return token


@dataclass(frozen=True)
class Redeemed:
    person_id: int | None  # None: the link cannot sign in
    reason: str  # "ok", "unknown", "used", "expired" (for the audit log and the page's words)


async def redeem_link(session: AsyncSession, token: str, now: datetime) -> Redeemed:
    hashed = digest(token)
    person_id = await session.scalar(
        update(WebLink)
        .where(WebLink.token_hash == hashed, WebLink.used_at.is_(None), WebLink.expires_at > now)
        .values(used_at=now)
        .returning(WebLink.person_id)
    )
    if person_id is not None:
        return Redeemed(person_id, "ok")
    link = await session.get(WebLink, hashed)
    if link is None:
        return Redeemed(None, "unknown")
    return Redeemed(None, "used" if link.used_at is not None else "expired")


async def link_state(session: AsyncSession, token: str, now: datetime) -> str:
    """What opening the link would do, without spending it: "ok", "unknown", "used", "expired"."""
    link = await session.get(WebLink, digest(token))
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    return "ok" if link.expires_at > now else "expired"


async def open_session(session: AsyncSession, person_id: int, now: datetime) -> tuple[str, WebSession]:
    """A new browser session: (the cookie's value, the row with its CSRF token)."""
    await session.execute(delete(WebSession).where(WebSession.expires_at < now))
    sid = secrets.token_urlsafe(32)
    row = WebSession(id_hash=digest(sid), person_id=person_id, csrf=secrets.token_urlsafe(32), expires_at=now + SESSION_TTL)
    session.add(row)
    return sid, row


async def session_of(session: AsyncSession, sid: str, now: datetime) -> WebSession | None:
    row = await session.scalar(select(WebSession).where(WebSession.id_hash == digest(sid)))
    return row if row is not None and row.expires_at > now else None


async def close_session(session: AsyncSession, sid: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.id_hash == digest(sid)))
