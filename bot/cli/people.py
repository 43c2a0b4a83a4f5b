"""Who is who, on the CLI: invitation codes (`helpdesk invite`) and the secretariat's accounts
(`helpdesk secretariat add`). Every command asks bot/policy first and is audited."""

from __future__ import annotations

from typing import Optional

import typer

from bot.cli.common import AS_OPTION, fail, invited_role, parse_period, run

secretariat_app = typer.Typer(help="The secretariat's accounts.", no_args_is_help=True)


def invite(
    company: str,
    role: str = typer.Option("member", "--role", callback=invited_role, help="member, lead or expert."),
    uses: int = typer.Option(1, "--uses", min=1),
    expires: str = typer.Option("14d", "--expires", help="How long the code is valid: 14d, 36h, 2w."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Create an invitation code for a company and role; the code is printed alone on the last line."""
    from bot.app import open_app
    from bot.cli.auth import require
    from bot.policy import Action, audit
    from bot.store import repo
    from bot.store.models import utcnow

    valid_for = parse_period(expires)

    async def go() -> str | None:
        async with open_app() as application:
            who = await require(application, actor, Action.INVITE, company)
            async with application.sessions.begin() as session:
                found = await repo.company_by_name(session, company)
                if found is None:
                    return None
                invitation = await repo.create_invitation(session, found, role, utcnow(), uses=uses, valid_for=valid_for)
                audit(session, who, "invite", utcnow(), allowed=True, company_id=found.id,
                      target=invitation.code[:3] + "…", detail={"role": role, "uses": uses, "expires": expires})
                return invitation.code

    code = run(go)
    if code is None:
        fail(f"no company named {company!r}")
    typer.echo(f"{role} invitation for {company!r}, {uses} use(s), valid {expires}:")
    typer.echo(code)


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
