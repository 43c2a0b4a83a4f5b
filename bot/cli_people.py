"""Who is who, on the CLI: companies, invitation codes, the secretariat's account, the overview,
the audit log, and purging a company after the programme. Every command asks bot/policy first."""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from enum import Enum
from typing import Any, Optional

import typer

from bot.cli_common import AS_OPTION, Course, Role, fail, run

company_app = typer.Typer(help="Participating companies.", no_args_is_help=True)
secretariat_app = typer.Typer(help="The secretariat's accounts.", no_args_is_help=True)


class TableFormat(str, Enum):
    table = "table"
    csv = "csv"


def register(app: typer.Typer) -> None:
    app.add_typer(company_app, name="company")
    app.add_typer(secretariat_app, name="secretariat")
    app.command()(invite)
    app.command()(overview)
    app.command()(audit)


def parse_period(text: str) -> timedelta:
    """"14d", "36h", "2w" (a bare number means days)."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhw]?)\s*", text.lower())
    if not match or int(match.group(1)) == 0:
        raise typer.BadParameter("use a number of days, hours or weeks, e.g. 14d, 36h, 2w")
    amount, unit = int(match.group(1)), match.group(2) or "d"
    return {"d": timedelta(days=amount), "h": timedelta(hours=amount), "w": timedelta(weeks=amount)}[unit]


@company_app.command("add")
def company_add(
    name: str,
    course: Course = typer.Option(..., "--course", help="csirt or it-bcp"),
    uses: int = typer.Option(1, "--uses", min=1, help="How many people may join with the printed code."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Register a company; prints an invitation code for its lead alone on the last line."""
    from bot.app import open_app
    from bot.cli_auth import require
    from bot.policy import Action, audit
    from bot.store import repo
    from bot.store.models import utcnow

    async def go() -> str:
        async with open_app() as application:
            who = await require(application, actor, Action.MANAGE_COMPANIES, target=name)
            async with application.sessions.begin() as session:
                if await repo.company_by_name(session, name) is not None:
                    fail(f"a company named {name!r} already exists")
                company = await repo.create_company(session, name, course.value, utcnow())
                invitation = await repo.create_invitation(session, company, "lead", utcnow(), uses=uses)
                audit(session, who, "invite", utcnow(), allowed=True, company_id=company.id,
                      target=invitation.code[:3] + "…", detail={"role": "lead", "uses": uses})
                return invitation.code

    code = run(go)
    typer.echo(f"company {name!r} added ({course.value}); lead invitation code (send it as /start CODE):")
    typer.echo(code)


@company_app.command("list")
def company_list(actor: Optional[str] = AS_OPTION) -> None:
    """List the companies."""
    from bot.app import open_app
    from bot.cli_auth import require
    from bot.policy import Action
    from bot.store import repo

    async def go() -> list[tuple[str, str]]:
        async with open_app() as application:
            await require(application, actor, Action.OVERVIEW)
            async with application.sessions() as session:
                return [(c.name, c.course) for c in await repo.list_companies(session)]

    for name, course in run(go):
        typer.echo(f"{name}\t{course}")


@company_app.command("purge")
def company_purge(
    name: str,
    confirm: Optional[str] = typer.Option(None, "--confirm", help="The company name again (else asked on the terminal)."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Delete a company and all its data after the programme (asks for the name to be typed)."""
    from bot.app import open_app
    from bot.cli_auth import audited
    from bot.policy import Action
    from bot.store import repo
    from bot.store.purge import purge_company

    typed = confirm if confirm is not None else typer.prompt(f"Type the company name to delete {name!r} and all its data")

    async def go() -> dict[str, int]:
        # One audit entry: refused, failed (the name typed did not match, no such company) or done
        # with what was deleted.
        async with open_app() as application, audited(application, actor, Action.PURGE_COMPANY, name) as record:
            if typed != name:
                fail("the name typed does not match; nothing was deleted")
            async with application.sessions.begin() as session:
                company = await repo.company_by_name(session, name)
                if company is None:
                    fail(f"no company named {name!r}")
                record.detail["company_id"] = company.id
                counts = await purge_company(session, company)
            record.detail["deleted"] = counts
            return counts

    counts = run(go)
    typer.echo(f"deleted company {name!r}: " + ", ".join(f"{count} {what}" for what, count in counts.items()))


def invite(
    company: str,
    role: Role = typer.Option(Role.member, "--role"),
    uses: int = typer.Option(1, "--uses", min=1),
    expires: str = typer.Option("14d", "--expires", help="How long the code is valid: 14d, 36h, 2w."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Create an invitation code for a company and role; the code is printed alone on the last line."""
    from bot.app import open_app
    from bot.cli_auth import require
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
                invitation = await repo.create_invitation(session, found, role.value, utcnow(), uses=uses, valid_for=valid_for)
                audit(session, who, "invite", utcnow(), allowed=True, company_id=found.id,
                      target=invitation.code[:3] + "…", detail={"role": role.value, "uses": uses, "expires": expires})
                return invitation.code

    code = run(go)
    if code is None:
        fail(f"no company named {company!r}")
    typer.echo(f"{role.value} invitation for {company!r}, {uses} use(s), valid {expires}:")
    typer.echo(code)


@secretariat_app.command("add")
def secretariat_add(
    name: str = typer.Argument(..., help="The console account name (for chat on Slack or Telegram, use /link from it)."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Give a console account the secretariat role. The first one can be added by anyone (set-up);
    after that only the secretariat adds more."""
    from bot.app import open_app
    from bot.cli_auth import CONSOLE, require
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


def overview(
    fmt: TableFormat = typer.Option(TableFormat.table, "--format"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Every company: hearing completion, open incidents by severity, next visit."""
    from bot.app import open_app
    from bot.cli_auth import require
    from bot.policy import Action
    from bot.reports.overview import company_rows

    async def go() -> list[Any]:
        async with open_app() as application:
            await require(application, actor, Action.OVERVIEW)
            async with application.sessions() as session:
                return await company_rows(session, application.content, "ja")

    rows = run(go)
    header = ["company", "course", "members", "hearing", "status", "incidents", "next_visit"]
    table = [[str(r.as_params()[h]) for h in header] for r in rows]
    if fmt is TableFormat.csv:
        from bot.reports.cells import write_csv

        write_csv(sys.stdout, [header, *table])
        return
    from bot.reports.hearing import display_width

    widths = [max(display_width(x) for x in [h, *(row[i] for row in table)]) for i, h in enumerate(header)]
    for row in [header, *table]:
        typer.echo("  ".join(cell + " " * (width - display_width(cell)) for cell, width in zip(row, widths)).rstrip())


def audit(
    company: Optional[str] = typer.Option(None, "--company"),
    limit: int = typer.Option(100, "--limit", min=1),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Who read or exported which company's data, who broadcast, who changed roles, and refusals."""
    from sqlalchemy import select

    from bot.app import open_app
    from bot.cli_auth import require
    from bot.policy import Action
    from bot.store import repo
    from bot.store.models import AuditEntry

    async def go() -> list[AuditEntry]:
        async with open_app() as application:
            await require(application, actor, Action.READ_AUDIT)
            async with application.sessions() as session:
                query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
                if company is not None:
                    found = await repo.company_by_name(session, company)
                    query = query.where(AuditEntry.company_id == (found.id if found else -1))
                return list(await session.scalars(query))

    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    for entry in reversed(run(go)):
        detail = entry.detail or {}
        verdict = {"failed": "FAILED", "started": "started"}.get(detail.get("outcome", ""), "")
        verdict = verdict or ("allowed" if entry.allowed else "REFUSED")
        reason = f"{detail['error']} ({detail.get('reason', '')})" if "error" in detail else detail.get("reason", "")
        typer.echo(
            f"{entry.at.astimezone(tokyo):%Y-%m-%d %H:%M:%S}\t{entry.actor_label}\t{entry.action}\t{verdict}"
            f"\t{entry.target or ''}\t{reason}"
        )
