"""Who is running a CLI command, and may they? The CLI acts as a console identity (`--as NAME`,
default the login name), so bot/policy decides for the CLI exactly as for chat.

Setting up: until a secretariat account exists (`helpdesk secretariat add NAME`), the CLI acts as the
secretariat, so a new installation can register its first companies. Once one exists, secretariat
commands need `--as` that account.
"""

from __future__ import annotations

import getpass
import os

from sqlalchemy import exists, select

from bot.app import App
from bot.policy import Action, Actor, Resource, actor_for, authorize
from bot.store import repo
from bot.store.models import Person, utcnow

CONSOLE = "console"


class Refused(Exception):
    """The policy said no; the refusal is already in the audit log."""


def login_name(name: str | None) -> str:
    return name or os.environ.get("USER") or getpass.getuser() or "console"


async def cli_actor(application: App, name: str | None) -> Actor:
    name = login_name(name)
    async with application.sessions() as session:
        person = await repo.person_by_platform(session, CONSOLE, name)
        set_up = await session.scalar(select(exists().where(Person.role == "secretariat")))
        if not set_up:
            return Actor(person.id if person else None, "secretariat", None, label=f"cli:{name} (setup)")
        return await actor_for(session, person, f"cli:{name}")


async def require(
    application: App, name: str | None, action: Action, company: str | None = None,
    *, company_id: int | None = None, owner_id: int | None = None, target: str | None = None,
) -> Actor:
    """Authorize (and audit, in its own committed transaction) or raise Refused. The company is
    given by name or id; an unknown name is refused like a forbidden one."""
    actor = await cli_actor(application, name)
    async with application.sessions.begin() as session:
        if company is not None:
            found = await repo.company_by_name(session, company)
            company_id = found.id if found else None
        resource = Resource(company_id=company_id, owner_id=owner_id, name=target or company)
        allowed = authorize(session, actor, action, resource, utcnow())
    if not allowed:
        raise Refused(action.value)
    return actor
