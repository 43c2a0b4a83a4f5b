"""Who is running a CLI command, and may they? The CLI acts as a console identity (`--as NAME`,
default the login name), so bot/policy decides for the CLI exactly as for chat.

Setting up: until a secretariat account exists (`helpdesk secretariat add NAME`), the CLI acts as the
secretariat, so a new installation can register its first companies. Once one exists, secretariat
commands need `--as` that account.
"""

from __future__ import annotations

import getpass
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select

from bot.app import App
from bot.cli.common import Failure
from bot.policy import (
    STARTED,
    Action,
    Actor,
    Resource,
    actor_for,
    authorize_entry,
    settle,
)
from bot.store import repo
from bot.store.models import AuditEntry, Person, utcnow

log = logging.getLogger(__name__)

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


async def _authorize(
    application: App, name: str | None, action: Action, company: str | None, company_id: int | None,
    owner_id: int | None, target: str | None, outcome: str | None,
) -> tuple[Actor, int | None]:
    actor = await cli_actor(application, name)
    async with application.sessions.begin() as session:
        if company is not None:
            found = await repo.company_by_name(session, company)
            company_id = found.id if found else None
        resource = Resource(company_id=company_id, owner_id=owner_id, name=target or company)
        allowed, entry = authorize_entry(session, actor, action, resource, utcnow(), outcome=outcome)
        await session.flush()
        entry_id = entry.id if entry is not None else None
    if not allowed:
        raise Refused(action.value)
    return actor, entry_id


async def require(
    application: App, name: str | None, action: Action, company: str | None = None,
    *, company_id: int | None = None, owner_id: int | None = None, target: str | None = None,
) -> Actor:
    """Authorize (and audit, in its own committed transaction) or raise Refused. The company is
    given by name or id; an unknown name is refused like a forbidden one."""
    return (await _authorize(application, name, action, company, company_id, owner_id, target, None))[0]


@dataclass
class Audited:
    """The actor of an audited block, and what the command adds to its entry (what it deleted)."""

    actor: Actor
    detail: dict[str, Any] = field(default_factory=dict)


@asynccontextmanager
async def audited(
    application: App, name: str | None, action: Action, company: str | None = None,
    *, company_id: int | None = None, owner_id: int | None = None, target: str | None = None,
) -> AsyncIterator[Audited]:
    """`require`, for an action whose outcome the audit log must tell (an export, a broadcast, a
    change to the calendar, a purge): allowed, it is recorded as started, and when the block ends
    as done or as failed with the reason, never left reading as allowed when it did not happen."""
    actor, entry_id = await _authorize(application, name, action, company, company_id, owner_id, target, STARTED)
    handle = Audited(actor)
    error: str | None = None
    try:
        yield handle
    except Failure as exc:
        error = exc.message
        raise
    except BaseException as exc:
        error = failure_reason(exc)
        raise
    finally:
        try:
            async with application.sessions.begin() as session:
                entry = await session.get(AuditEntry, entry_id)
                if entry is not None:
                    entry.detail = {**(entry.detail or {}), **handle.detail}
                    settle(entry, error)
        except Exception:  # noqa: BLE001 - the database went away: the entry stays "started"
            log.warning("could not record the outcome of %s in the audit log", action.value, exc_info=True)


def failure_reason(exc: BaseException) -> str:
    """What the audit log says of an exception: its kind and first line (a ProgrammeError is said
    in English by the command before it gets here, as a Failure)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
