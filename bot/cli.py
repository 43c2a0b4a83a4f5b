"""The `helpdesk` command. Heavy imports happen inside each command, so `helpdesk console` starts fast
and a platform library is imported only by the command that serves that platform."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer

from bot.cli_common import Lang, fail, run

app = typer.Typer(
    help="Help desk bot of the Tokyo SME cybersecurity special support programme.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
content_app = typer.Typer(help="Content files (questions, messages, contacts).", no_args_is_help=True)
serve_app = typer.Typer(help="Run the bot on a chat platform.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")
app.add_typer(serve_app, name="serve")

def _utf8_stdio() -> None:
    # Japanese must print on a terminal or pipe whatever the locale says.
    for stream in (sys.stdout, sys.stderr):
        reconfigure: Any = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(encoding="utf-8")


@app.callback(invoke_without_command=True)
def main(ctx: typer.Context) -> None:
    """Without a command: this help (the console bot is `helpdesk console`)."""
    _utf8_stdio()
    if ctx.invoked_subcommand is None:
        # Plain `helpdesk` used to start the console, which prints nothing until spoken to and, from
        # a pipe or a script, nothing at all: the list of commands is the useful answer.
        typer.echo(ctx.get_help())


@app.command()
def console(
    user: Optional[str] = typer.Option(None, "--as", help="Who you are in this chat (default: your login name)."),
    lang: Optional[Lang] = typer.Option(None, "--lang", help="Language of the replies."),
) -> None:
    """Chat with the bot on this terminal (or from a pipe): one message per line."""
    from bot.app import open_app
    from bot.platforms.console import run_console

    from bot.cli_auth import login_name

    name = login_name(user)

    async def go() -> None:
        async with open_app(flood_control=False) as application:
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
    from bot.content.loader import load_content
    from bot.intake.check import overlapping_phrases

    # Warnings, not errors: the secretariat decides which phrase to reword (content/intake.yaml).
    overlaps = overlapping_phrases(load_content(target))
    typer.echo(f"content OK: {target}" + (f" ({len(overlaps)} intake phrase warning(s) follow)" if overlaps else ""))
    for overlap in overlaps:
        typer.echo(f"warning: intake phrases: {overlap}")


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


def _register() -> None:
    # Command groups live in modules named for their job; they are registered here.
    from bot.cli_doctor import register as register_doctor
    from bot.cli_export import export_app
    from bot.cli_incident import incident_app
    from bot.cli_intake import intake_app
    from bot.cli_people import register as register_people
    from bot.cli_programme import event_app, notice_app, scheduler_app, visit_app

    app.add_typer(export_app, name="export")
    register_people(app)
    app.add_typer(visit_app, name="visit")
    app.add_typer(event_app, name="event")
    app.add_typer(notice_app, name="notice")
    app.add_typer(scheduler_app, name="scheduler")
    register_doctor(app)
    app.add_typer(intake_app, name="intake")
    app.add_typer(incident_app, name="incident")


_register()

if __name__ == "__main__":
    app()
