"""An invitation code stopped working, as `helpdesk invite revoke` and the web desk do it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import repo
from bot.store.models import Company, Invitation
from scheduler.errors import ProgrammeError


@dataclass(frozen=True)
class Revoked:
    code: str  # masked, as `invite list` shows it
    company: str
    role: str
    was: str  # its state before: active, expired, used_up


async def revoke(session: AsyncSession, invitation_id: int | None, shown: str, now: datetime) -> Revoked:
    """/start with the code then says it has expired and to ask for a new one. `shown` is how the
    person named the code, for the message when it is gone (deleted with its company meanwhile)."""
    invitation = await session.get(Invitation, invitation_id) if invitation_id is not None else None
    if invitation is None:
        raise ProgrammeError("invite.unknown", code=shown)
    company = await session.get(Company, invitation.company_id)
    was = repo.invitation_state(invitation, now)
    repo.revoke_invitation(invitation, now)
    return Revoked(repo.masked_code(invitation.code), company.name if company else "", invitation.role, was)
