"""A company's person removed (they left) or made member/lead, as `helpdesk people remove|role`
and the web desk's company page do it."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import repo
from bot.store.models import ExpertAssignment
from scheduler.errors import ProgrammeError

# The roles a company's person may be given here; an expert is invited as one, the secretariat is
# added with `helpdesk secretariat add`.
COMPANY_ROLES = ("member", "lead")


def account(platform: str, user: str) -> str:
    return f"{platform}:{user}"


def parse_account(text: str) -> tuple[str, str]:
    """platform:account as `people list` shows it; a bare name is a console account."""
    platform, _, user = text.partition(":")
    return (platform, user) if user else ("console", platform)


async def remove_person(session: AsyncSession, platform: str, user: str) -> str | None:
    """They lose their company and role (an expert their assignments); the answers they gave stay
    the company's. Returns the role they had."""
    person = await repo.person_by_platform(session, platform, user)
    if person is None or (person.role is None and person.company_id is None):
        raise ProgrammeError("people.unknown", account=account(platform, user))
    if person.role == "secretariat":
        raise ProgrammeError("people.not_secretariat")
    old = person.role
    await session.execute(delete(ExpertAssignment).where(ExpertAssignment.person_id == person.id))
    person.role, person.company_id = None, None
    return old


async def change_role(session: AsyncSession, platform: str, user: str, role: str) -> str | None:
    """A company's member made its lead or a lead a member (within the same company). Returns the
    role they had."""
    person = await repo.person_by_platform(session, platform, user)
    if person is None or person.company_id is None or person.role not in COMPANY_ROLES:
        raise ProgrammeError("people.unknown", account=account(platform, user))
    if role not in COMPANY_ROLES:
        raise ProgrammeError("people.role_member_or_lead")
    old = person.role
    person.role = role
    return old
