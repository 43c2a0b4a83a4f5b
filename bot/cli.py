"""The `helpdesk` command. Heavy imports happen inside each command, so `helpdesk console` starts fast
and a platform library is imported only by the command that serves that platform."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, TypeVar

import typer

app = typer.Typer(
    help="Help desk bot of the Tokyo SME cybersecurity special support programme.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
company_app = typer.Typer(help="Participating companies.", no_args_is_help=True)
content_app = typer.Typer(help="Content files (questions, messages, contacts).", no_args_is_help=True)
export_app = typer.Typer(help="Reports.", no_args_is_help=True)
serve_app = typer.Typer(help="Run the bot on a chat platform.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(company_app, name="company")
app.add_typer(content_app, name="content")
app.add_typer(export_app, name="export")
app.add_typer(serve_app, name="serve")

T = TypeVar("T")


class Course(str, Enum):
    csirt = "csirt"
    it_bcp = "it-bcp"


class Role(str, Enum):
    member = "member"
    lead = "lead"
    expert = "expert"


class Lang(str, Enum):
    ja = "ja"
    en = "en"


class ReportFormat(str, Enum):
    md = "md"
    xlsx = "xlsx"


class IncidentFormat(str, Enum):
    md = "md"
    json = "json"


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def run(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine and turn the failures a person can fix into one clear line each."""
    from pydantic import ValidationError
    from sqlalchemy.exc import DBAPIError

    from bot.config import SettingsError
    from bot.content.loader import ContentInvalid

    try:
        return asyncio.run(make())  # type: ignore[arg-type]
    except ContentInvalid as exc:
        typer.echo("error: content is invalid; the bot will not start:", err=True)
        for issue in exc.issues:
            typer.echo(f"  {issue}", err=True)
        raise typer.Exit(2) from None
    except SettingsError as exc:
        fail(str(exc))
    except ValidationError as exc:
        fail("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()))
    except DBAPIError as exc:
        fail(f"database error: {str(exc.orig).strip().splitlines()[0] if exc.orig else exc}")
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    raise AssertionError("unreachable")


def _utf8_stdio() -> None:
    # Japanese must print on a terminal or pipe whatever the locale says.
    for stream in (sys.stdout, sys.stderr):
        reconfigure: Any = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(encoding="utf-8")


@app.callback(invoke_without_command=True)
def main(ctx: typer.Context) -> None:
    """Without a command: the console bot."""
    _utf8_stdio()
    if ctx.invoked_subcommand is None:
        console(user=None, lang=None)


@app.command()
def console(
    user: Optional[str] = typer.Option(None, "--as", help="Who you are in this chat (default: your login name)."),
    lang: Optional[Lang] = typer.Option(None, "--lang", help="Language of the replies."),
) -> None:
    """Chat with the bot on this terminal (or from a pipe): one message per line."""
    from bot.app import open_app
    from bot.platforms.console import run_console

    name = user or os.environ.get("USER") or getpass.getuser() or "console"

    async def go() -> None:
        async with open_app() as application:
            await run_console(application.runtime, name, language=lang.value if lang else None)

    run(go)


@serve_app.command("slack")
def serve_slack(
    port: int = typer.Option(3000, "--port", help="HTTP port for /slack/events (ignored in Socket Mode)."),
) -> None:
    """Slack: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on --port at /slack/events."""
    from bot.app import open_app
    from bot.platforms.slack import serve

    async def go() -> None:
        async with open_app() as application:
            await serve(application, port=port)

    run(go)


@serve_app.command("telegram")
def serve_telegram(
    webhook_url: Optional[str] = typer.Option(None, "--webhook-url", help="Public URL of the webhook (default: long polling)."),
    port: int = typer.Option(8443, "--port", help="Port the webhook listens on."),
) -> None:
    """Telegram: long polling, or a webhook with --webhook-url (secret HELPDESK_TELEGRAM_WEBHOOK_SECRET)."""
    from bot.app import open_app
    from bot.platforms.telegram import serve

    async def go() -> None:
        async with open_app() as application:
            await serve(application, webhook_url=webhook_url, port=port)

    run(go)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations."""
    from bot.app import open_app
    from bot.store.db import current_revision

    async def go() -> str | None:
        async with open_app() as application:
            return await current_revision(application.engine)

    typer.echo(f"database at revision {run(go)}")


@db_app.command("revision")
def db_revision(message: str) -> None:
    """(developers) Write a migration for what the models changed."""
    from bot.app import open_app
    from bot.store.db import new_revision

    async def go() -> None:
        async with open_app() as application:
            await new_revision(application.engine, message)

    run(go)


@company_app.command("add")
def company_add(
    name: str,
    course: Course = typer.Option(..., "--course", help="csirt or it-bcp"),
    uses: int = typer.Option(1, "--uses", min=1, help="How many people may join with the printed code."),
) -> None:
    """Register a company; prints an invitation code for its lead alone on the last line."""
    from bot.app import open_app
    from bot.store import repo
    from bot.store.models import utcnow

    async def go() -> str:
        async with open_app() as application, application.sessions.begin() as session:
            if await repo.company_by_name(session, name) is not None:
                fail(f"a company named {name!r} already exists")
            company = await repo.create_company(session, name, course.value, utcnow())
            invitation = await repo.create_invitation(session, company, "lead", utcnow(), uses=uses)
            return invitation.code

    code = run(go)
    typer.echo(f"company {name!r} added ({course.value}); lead invitation code (send it as /start CODE):")
    typer.echo(code)


@company_app.command("list")
def company_list() -> None:
    """List the companies."""
    from bot.app import open_app
    from bot.store import repo

    async def go() -> list[tuple[str, str]]:
        async with open_app() as application, application.sessions() as session:
            return [(c.name, c.course) for c in await repo.list_companies(session)]

    for name, course in run(go):
        typer.echo(f"{name}\t{course}")


@app.command()
def invite(
    company: str,
    role: Role = typer.Option(Role.member, "--role"),
    uses: int = typer.Option(1, "--uses", min=1),
    expires_days: int = typer.Option(14, "--expires-days", min=1),
) -> None:
    """Create an invitation code for a company; the code is printed alone on the last line."""
    from datetime import timedelta

    from bot.app import open_app
    from bot.store import repo
    from bot.store.models import utcnow

    async def go() -> str:
        async with open_app() as application, application.sessions.begin() as session:
            found = await repo.company_by_name(session, company)
            if found is None:
                fail(f"no company named {company!r}")
            assert found is not None
            invitation = await repo.create_invitation(
                session, found, role.value, utcnow(), uses=uses, valid_for=timedelta(days=expires_days)
            )
            return invitation.code

    code = run(go)
    typer.echo(f"{role.value} invitation for {company!r}, {uses} use(s), valid {expires_days} days:")
    typer.echo(code)


@content_app.command("check")
def content_check(
    directory: Optional[Path] = typer.Option(None, "--dir", help="Content directory (default: the bot's)."),
) -> None:
    """Validate every content file; print file, key path and problem for each error."""
    from bot.config import Settings
    from bot.content.loader import check_content

    target = directory or Settings().content_dir
    issues = check_content(target)
    for issue in issues:
        typer.echo(str(issue))
    if issues:
        typer.echo(f"{len(issues)} problem(s) in {target}", err=True)
        raise typer.Exit(1)
    typer.echo(f"content OK: {target}")


@export_app.command("hearing")
def export_hearing(
    company: str = typer.Option(..., "--company"),
    fmt: ReportFormat = typer.Option(ReportFormat.md, "--format"),
    output: Path = typer.Option(..., "--output", "-o"),
    lang: Lang = typer.Option(Lang.ja, "--lang"),
) -> None:
    """Write the hearing sheet report (ヒアリングシート結果報告書) the expert reads before visit 1."""
    from bot.app import open_app
    from bot.reports.hearing import build_report, write_markdown, write_xlsx

    async def go() -> Any:
        async with open_app() as application, application.sessions() as session:
            return await build_report(session, application.content, company, lang.value)

    report = run(go)
    if report is None:
        fail(f"no company named {company!r}")
    if fmt is ReportFormat.md:
        write_markdown(report, output)
    else:
        write_xlsx(report, output)
    typer.echo(f"wrote {output}")


@export_app.command("incident")
def export_incident(
    number: str = typer.Argument(..., help="INC-2026-0001"),
    fmt: IncidentFormat = typer.Option(IncidentFormat.md, "--format"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Default: standard output."),
    lang: Lang = typer.Option(Lang.ja, "--lang"),
) -> None:
    """Write an incident report with its timeline (layout close to the JPCERT/CC report)."""
    import json

    from bot.app import open_app
    from bot.incidents.export import incident_document, to_markdown

    async def go() -> Any:
        async with open_app() as application, application.sessions() as session:
            return await incident_document(session, application.content, number, lang.value)

    document = run(go)
    if document is None:
        fail(f"no incident {number!r}")
    text = to_markdown(document) if fmt is IncidentFormat.md else json.dumps(document, ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")


@content_app.command("diagram")
def content_diagram(which: str = typer.Argument("triage", help="triage, or a flow id such as hearing_csirt")) -> None:
    """Print a Mermaid diagram of the triage tree or a questionnaire, for review."""
    from bot.config import Settings
    from bot.content.diagram import flow_diagram, triage_diagram
    from bot.content.loader import load_content

    content = load_content(Settings().content_dir)
    if which == "triage" and content.response.triage is not None:
        typer.echo(triage_diagram(content.response.triage.tree))
    elif which in content.flows:
        typer.echo(flow_diagram(content.flows[which]))
    elif which == "incident" and content.response.incident_flow is not None:
        typer.echo(flow_diagram(content.response.incident_flow))
    else:
        fail(f"no triage tree or flow named {which!r} (flows: {', '.join(content.flows)}, incident)")


if __name__ == "__main__":
    app()
