"""The `helpdesk` command: one Typer app, one module per sub-app in this package (console, serve, db,
content, company, people, invite, visit, event, notice, incident, scheduler, export, draft, actions, overview, audit,
intake, doctor, web).
Heavy imports happen inside each command, so `helpdesk console` starts fast and a platform library
is imported only by the command that serves that platform."""

from __future__ import annotations

import sys
from typing import Any

import typer

from bot.cli.actions import actions_app
from bot.cli.audit import audit
from bot.cli.company import company_app
from bot.cli.console import console
from bot.cli.content import content_app
from bot.cli.db import db_app
from bot.cli.doctor import doctor
from bot.cli.draft import draft
from bot.cli.event import event_app
from bot.cli.export import export_app
from bot.cli.incident import incident_app
from bot.cli.intake import intake_app
from bot.cli.notice import notice_app
from bot.cli.overview import overview
from bot.cli.invite import invite_app
from bot.cli.people import people_app, secretariat_app
from bot.cli.scheduler import scheduler_app
from bot.cli.serve import serve_app
from bot.cli.visit import visit_app
from bot.cli.web import web_app

app = typer.Typer(
    help="Help desk bot of the Tokyo SME cybersecurity special support programme.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


# The order of `helpdesk --help`.
app.command("console")(console)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")
app.add_typer(serve_app, name="serve")
app.add_typer(export_app, name="export")
app.command("draft")(draft)
app.add_typer(actions_app, name="actions")
app.add_typer(company_app, name="company")
app.add_typer(secretariat_app, name="secretariat")
app.add_typer(people_app, name="people")
app.add_typer(invite_app, name="invite")
app.command("overview")(overview)
app.command("audit")(audit)
app.add_typer(visit_app, name="visit")
app.add_typer(event_app, name="event")
app.add_typer(notice_app, name="notice")
app.add_typer(incident_app, name="incident")
app.add_typer(scheduler_app, name="scheduler")
app.command("doctor")(doctor)
app.add_typer(intake_app, name="intake")
app.add_typer(web_app, name="web")

__all__ = ["app"]
