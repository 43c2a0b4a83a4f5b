"""`helpdesk invite …`: invitation codes. `invite COMPANY` makes one (as it always has), `invite
list` shows them masked, `invite revoke CODE` stops one working. The secretariat only
(bot/policy INVITE); each code made or revoked is in the audit log."""

from __future__ import annotations

from typing import Any, Optional

import typer
from typer.core import TyperGroup

from bot.cli.common import AS_OPTION, fail, invited_role, parse_period, run, say
from bot.cli.tables import columns, show_table


class _CreateByDefault(TyperGroup):
    """`helpdesk invite A社 --role lead` keeps meaning `invite create A社 --role lead`: scripts and
    the README have used it since the start; a company called "list" is `invite create list`."""

    # ctx is typer's own (vendored) click Context, which typer does not export by name
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["create", *args]
        return super().parse_args(ctx, args)


invite_app = typer.Typer(cls=_CreateByDefault, help="Invitation codes: make one (invite COMPANY), list, revoke.", no_args_is_help=True)


@invite_app.command("create")
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
                      target=repo.masked_code(invitation.code), detail={"role": role, "uses": uses, "expires": expires})
                return invitation.code

    code = run(go)
    if code is None:
        fail(f"no company named {company!r}")
    typer.echo(f"{role} invitation for {company!r}, {uses} use(s), valid {expires}:")
    typer.echo(code)


@invite_app.command("list")
def invite_list(
    company: Optional[str] = typer.Option(None, "--company", help="One company's codes (default: every company's)."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Every invitation code, newest first, masked but for its last characters; whether it works.

    Columns: code, company, role, uses left, expiry (Japan time), state."""
    from bot.app import open_app
    from bot.cli.auth import require
    from bot.policy import Action
    from bot.store import repo
    from bot.store.models import utcnow
    from scheduler.companies import company_named
    from scheduler.errors import ProgrammeError
    from scheduler.localtime import format_cli

    async def go() -> tuple[list[list[str]], str, str]:
        async with open_app() as application:
            await require(application, actor, Action.INVITE, company)
            now, tz = utcnow(), application.runtime.tz
            async with application.sessions() as session:
                try:
                    only = await company_named(session, company) if company else None
                except ProgrammeError as exc:
                    fail(exc.render(application.content.book, application.settings.lang))
                found = await repo.list_invitations(session, only.id if only else None)
            rows = [
                [repo.masked_code(i.code), name, i.role,
                 str(i.uses_left) if i.uses_left is not None else say(application, "invite.unlimited"),
                 format_cli(i.expires_at, tz) if i.expires_at else say(application, "invite.no_expiry"),
                 say(application, f"invite.state_{repo.invitation_state(i, now)}")]
                for i, name in found
            ]
            return rows, say(application, "invite.columns"), say(application, "invite.none")

    rows, titles, empty = run(go)
    show_table(columns(titles), rows, empty)


@invite_app.command("revoke")
def invite_revoke(
    code: str = typer.Argument(..., help="The whole code, or its last characters as `invite list` shows them."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Stop a code working: /start with it then says it has expired and to ask for a new one."""
    from bot.admin.invitations import revoke
    from bot.app import open_app
    from bot.cli.auth import audited
    from bot.policy import Action
    from bot.store import repo
    from bot.store.models import utcnow
    from scheduler.errors import ProgrammeError

    async def go() -> str:
        async with open_app() as application:
            async with application.sessions() as session:
                candidates = await repo.find_invitations(session, code)
            shown = code.strip()[:40]
            target = repo.masked_code(candidates[0].code) if len(candidates) == 1 else shown
            company_id = candidates[0].company_id if len(candidates) == 1 else None
            async with audited(application, actor, Action.INVITE, company_id=company_id, target=target) as record:
                if not candidates:
                    fail(say(application, "invite.unknown", code=shown))
                if len(candidates) > 1:
                    fail(say(application, "invite.ambiguous", code=shown, count=len(candidates)))
                async with application.sessions.begin() as session:
                    try:
                        done = await revoke(session, candidates[0].id, shown, utcnow())
                    except ProgrammeError as exc:
                        fail(exc.render(application.content.book, application.settings.lang))
                    record.detail.update({"revoke": True, "was": done.was})
                    return say(application, "invite.revoked", code=done.code, company=done.company, role=done.role)

    typer.echo(run(go))
