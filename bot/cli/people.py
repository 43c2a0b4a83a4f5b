"""Who is who, on the CLI: the secretariat's accounts (`helpdesk secretariat add`) and a company's
people (`helpdesk people list|remove|role`); invitation codes are bot/cli/invite.py. Every command
asks bot/policy first and is audited."""

from __future__ import annotations

from typing import Optional

import typer

from bot.cli.common import AS_OPTION, fail, invited_role, run, say
from bot.cli.tables import columns, show_table

secretariat_app = typer.Typer(help="The secretariat's accounts.", no_args_is_help=True)
people_app = typer.Typer(help="The companies' people: list, remove one who left, change a role.", no_args_is_help=True)

ACCOUNT_HELP = "platform:account as `people list` shows it (console:tanaka, telegram:12345); a bare name is a console account."


@secretariat_app.command("add")
def secretariat_add(
    name: str = typer.Argument(..., help="The console account name (for chat on Slack or Telegram, use /link from it)."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Give a console account the secretariat role. The first one can be added by anyone (set-up);
    after that only the secretariat adds more."""
    from bot.app import open_app
    from bot.cli.auth import CONSOLE, require
    from bot.policy import Action, audit
    from bot.store import repo
    from bot.store.models import utcnow

    async def go() -> None:
        async with open_app() as application:
            who = await require(application, actor, Action.CHANGE_ROLE, target=f"{CONSOLE}:{name}")
            async with application.sessions.begin() as session:
                person = await repo.get_or_create_person(session, CONSOLE, name, name, None, utcnow())
                old = person.role
                person.role, person.company_id = "secretariat", None
                audit(session, who, "change_role", utcnow(), allowed=True, target=f"{CONSOLE}:{name}",
                      detail={"from": old, "to": "secretariat"})

    run(go)
    typer.echo(f"{name!r} is now secretariat (console account; act with --as {name})")


@people_app.command("list")
def people_list(
    company: Optional[str] = typer.Option(None, "--company", help="One company's people (default: every company's)."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Each company's members, leads and assigned experts: account, name, role, company."""
    from sqlalchemy import select

    from bot.app import open_app
    from bot.cli.auth import require
    from bot.policy import Action
    from bot.store.models import Company, ExpertAssignment, Person
    from scheduler.companies import company_named
    from scheduler.errors import ProgrammeError

    async def go() -> tuple[list[list[str]], str]:
        async with open_app() as application:
            await require(application, actor, Action.OVERVIEW)
            async with application.sessions() as session:
                try:
                    only = await company_named(session, company) if company else None
                except ProgrammeError as exc:
                    fail(exc.render(application.content.book, application.settings.lang))
                members = select(Person, Company.name).join(Company, Company.id == Person.company_id)
                experts = (
                    select(Person, Company.name).join(ExpertAssignment, ExpertAssignment.person_id == Person.id)
                    .join(Company, Company.id == ExpertAssignment.company_id).where(Person.role == "expert")
                )
                if only is not None:
                    members = members.where(Company.id == only.id)
                    experts = experts.where(Company.id == only.id)
                found = {(p.id, name): p for p, name in [*(await session.execute(members)).all(), *(await session.execute(experts)).all()]}
            rows = sorted(
                ([name, f"{p.platform}:{p.platform_user_id}", p.display_name or "", p.role or ""] for (_, name), p in found.items()),
                key=lambda row: (row[0], row[1]),
            )
            return rows, say(application, "people.columns")

    rows, titles = run(go)
    show_table(columns(titles), rows, "no people")


@people_app.command("remove")
def people_remove(
    account: str = typer.Argument(..., help=ACCOUNT_HELP),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Someone who left: they lose their company and role (and an expert their assignments); the
    answers they gave stay the company's, with their name."""
    from bot.admin.people import parse_account, remove_person
    from bot.app import open_app
    from bot.cli.auth import audited
    from bot.policy import Action
    from bot.store import repo
    from scheduler.errors import ProgrammeError

    platform, user = parse_account(account)

    async def go() -> str:
        async with open_app() as application:
            async with application.sessions() as session:
                person = await repo.person_by_platform(session, platform, user)
                company_id = person.company_id if person else None
            async with audited(application, actor, Action.CHANGE_ROLE, company_id=company_id, target=f"{platform}:{user}") as record:
                async with application.sessions.begin() as session:
                    try:
                        old = await remove_person(session, platform, user)
                    except ProgrammeError as exc:
                        fail(exc.render(application.content.book, application.settings.lang))
                    record.detail.update({"from": old, "to": None})
                return say(application, "people.removed", account=f"{platform}:{user}")

    typer.echo(run(go))


@people_app.command("role")
def people_role(
    account: str = typer.Argument(..., help=ACCOUNT_HELP),
    role: str = typer.Argument(..., callback=invited_role, help="member or lead (an expert is invited as one)."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Make a company's member its lead, or a lead a member (within the same company)."""
    from bot.admin.people import change_role, parse_account
    from bot.app import open_app
    from bot.cli.auth import audited
    from bot.policy import Action
    from bot.store import repo
    from scheduler.errors import ProgrammeError

    platform, user = parse_account(account)

    async def go() -> str:
        async with open_app() as application:
            async with application.sessions() as session:
                person = await repo.person_by_platform(session, platform, user)
                company_id = person.company_id if person else None
            async with audited(application, actor, Action.CHANGE_ROLE, company_id=company_id, target=f"{platform}:{user}") as record:
                async with application.sessions.begin() as session:
                    try:
                        old = await change_role(session, platform, user, role)
                    except ProgrammeError as exc:
                        fail(exc.render(application.content.book, application.settings.lang))
                    record.detail.update({"from": old, "to": role})
                return say(application, "people.role_changed", account=f"{platform}:{user}", role=role)

    typer.echo(run(go))
