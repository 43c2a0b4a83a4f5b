"""`helpdesk company …`: register the participating companies, list them, purge one after the
programme. Every command asks bot/policy first."""

from __future__ import annotations

from typing import Optional

import typer

from bot.cli.common import AS_OPTION, content_choice, fail, run, say
from bot.cli.tables import columns, show_table

company_app = typer.Typer(help="Participating companies.", no_args_is_help=True)


@company_app.command("add")
def company_add(
    name: str,
    course: str = typer.Option(..., "--course", callback=content_choice("courses"), help="csirt or it-bcp (content/programme.yaml courses)."),
    uses: int = typer.Option(1, "--uses", min=1, help="How many people may join with the printed code."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Register a company; prints an invitation code for its lead alone on the last line."""
    from bot.app import open_app
    from bot.cli.auth import require
    from bot.policy import Action, audit
    from bot.store import repo
    from bot.store.models import utcnow
    from bot.store.names import MAX_NAME, name_problem

    async def go() -> str:
        async with open_app() as application:
            who = await require(application, actor, Action.MANAGE_COMPANIES, target=name[:MAX_NAME])
            problem = name_problem(name)
            if problem is not None:
                fail(say(application, problem, max=MAX_NAME))
            async with application.sessions.begin() as session:
                # Compared as names are compared (NFKC): 「株式会社ｻﾝﾌﾟﾙ」 is not a second company.
                existing = await repo.company_by_name(session, name)
                if existing is not None:
                    fail(say(application, "company.exists", name=name, existing=existing.name))
                company = await repo.create_company(session, name, course, utcnow())
                invitation = await repo.create_invitation(session, company, "lead", utcnow(), uses=uses)
                audit(session, who, "invite", utcnow(), allowed=True, company_id=company.id,
                      target=invitation.code[:3] + "…", detail={"role": "lead", "uses": uses})
                return invitation.code

    code = run(go)
    typer.echo(f"company {name!r} added ({course}); lead invitation code (send it as /start CODE):")
    typer.echo(code)


@company_app.command("list")
def company_list(actor: Optional[str] = AS_OPTION) -> None:
    """List the companies."""
    from bot.app import open_app
    from bot.cli.auth import require
    from bot.policy import Action
    from bot.store import repo

    async def go() -> tuple[list[list[str]], str]:
        async with open_app() as application:
            await require(application, actor, Action.OVERVIEW)
            async with application.sessions() as session:
                rows = [[c.name, c.course] for c in await repo.list_companies(session)]
            return rows, say(application, "company.columns")

    rows, titles = run(go)
    show_table(columns(titles), rows, "no companies")


@company_app.command("purge")
def company_purge(
    name: str,
    confirm: Optional[str] = typer.Option(None, "--confirm", help="The company name again (else asked on the terminal)."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Delete a company and all its data after the programme (asks for the name to be typed)."""
    from bot.app import open_app
    from bot.cli.auth import audited
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


@company_app.command("rename")
def company_rename(
    name: str,
    new_name: str = typer.Argument(..., metavar="NEW_NAME"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Give a company its new name (stored as typed; compared after NFKC like every company name)."""
    from bot.admin.companies import rename_company
    from bot.app import open_app
    from bot.cli.auth import audited
    from bot.policy import Action
    from scheduler.errors import ProgrammeError

    async def go() -> str:
        async with open_app() as application, audited(application, actor, Action.MANAGE_COMPANIES, name) as record:
            async with application.sessions.begin() as session:
                try:
                    company, old = await rename_company(session, name, new_name)
                except ProgrammeError as exc:
                    fail(exc.render(application.content.book, application.settings.lang))
                record.detail.update({"company_id": company.id, "from": old, "to": new_name})
            return say(application, "company.renamed", old=old, new=new_name)

    typer.echo(run(go))


@company_app.command("course")
def company_course(
    name: str,
    course: str = typer.Argument(..., callback=content_choice("courses"), help="csirt or it-bcp (content/programme.yaml courses)."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Change a company's course (seed 000: a company settles its course with its expert); the
    answers already given stay as they are."""
    from bot.admin.companies import change_course
    from bot.app import open_app
    from bot.cli.auth import audited
    from bot.policy import Action
    from scheduler.companies import company_named
    from scheduler.errors import ProgrammeError

    async def go() -> str:
        async with open_app() as application, audited(application, actor, Action.MANAGE_COMPANIES, name) as record:
            async with application.sessions.begin() as session:
                try:
                    company = await company_named(session, name)
                except ProgrammeError as exc:
                    fail(exc.render(application.content.book, application.settings.lang))
                record.detail.update({"company_id": company.id, "from": company.course, "to": course})
                old = change_course(company, course)
            return say(application, "company.course_changed", name=company.name, old=old, new=course)

    typer.echo(run(go))
