"""`helpdesk incident …`: the incidents a CLI account may see, and follow-up, under bot/policy.

`list` reads the incidents table for the companies bot.policy.incident_companies gives the
account (the secretariat: all of them). `show`, `note`, `move` and `done` are the chat commands
themselves, sent as the console account `--as` names: the same handler, the same policy, the same
audit log and the same answers (a report the account may not see is "not found", as in chat).
"""

from __future__ import annotations

import sys
from enum import Enum
from typing import Optional

import typer

from bot.cli.common import AS_OPTION, fail, run

incident_app = typer.Typer(help="Incident reports: list and follow up.", no_args_is_help=True)


class ListFormat(str, Enum):
    table = "table"
    csv = "csv"


HEADER = ["number", "company", "severity", "status", "category", "reported", "updated"]


@incident_app.command("list")
def list_incidents(
    company: Optional[str] = typer.Option(None, "--company", help="One company (by name)."),
    status: Optional[list[str]] = typer.Option(
        None, "--status", help="received, in_progress, contained, closed (or 受付…); repeatable. Default: the open ones.",
    ),
    fmt: ListFormat = typer.Option(ListFormat.table, "--format"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Incidents of the companies you may see, the most severe first, then the oldest."""
    rows = run(lambda: _rows(company, status or [], actor))
    if fmt is ListFormat.csv:
        from bot.reports.cells import write_csv

        write_csv(sys.stdout, [HEADER, *rows])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in HEADER:
        # the number and the times are never cut; long names fold onto a second line
        table.add_column(name, no_wrap=name in ("number", "severity", "status", "reported", "updated"), overflow="fold")
    for row in rows:
        table.add_row(*row)
    # markup off: a company's or a person's text is shown as typed, never read as rich markup.
    # Piped into a file or grep, lines are not cut at rich's default 80 columns.
    Console(markup=False, highlight=False, width=None if sys.stdout.isatty() else 200).print(table)
    if not rows:
        typer.echo("no incidents")


async def _rows(company: str | None, statuses: list[str], actor_name: str | None) -> list[list[str]]:
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from bot.app import open_app
    from bot.cli.auth import cli_actor, require
    from bot.engine.render import Speaker
    from bot.incidents.progress import find_status
    from bot.incidents.render import jst, level_label, questions, status_label
    from bot.incidents.service import OPEN
    from bot.incidents.severity import rank
    from bot.policy import Action, Resource, decide, incident_companies
    from bot.store import repo
    from bot.store.models import Company, Incident, utcnow

    async with open_app() as application:
        config = application.content.response.incident
        if config is None:
            fail("content has no incident form (content/incident.yaml)")
        wanted: set[str] = set()
        for given in statuses:
            status = find_status(config, given)
            if status is None:
                fail(f"no status {given!r} (statuses: {', '.join(s.id for s in config.statuses)})")
            wanted.add(status.id)
        actor = await cli_actor(application, actor_name)
        companies = incident_companies(actor)
        if company is not None:
            # audited like a read of that company's incidents; an unknown name is refused alike
            await require(application, actor_name, Action.READ_INCIDENT, company, target=f"list:{company}")
            async with application.sessions() as session:
                found_company = await repo.company_by_name(session, company)
            assert found_company is not None  # require refuses an unknown name
            companies = frozenset({found_company.id})
        async with application.sessions() as session:
            query = select(Incident, Company.name).join(Company, Company.id == Incident.company_id)
            query = query.where(Incident.status.in_(wanted or set(OPEN)))
            if companies is not None:
                query = query.where(Incident.company_id.in_(companies))
            found = [
                (incident, name) for incident, name in (await session.execute(query)).all()
                if decide(actor, Action.READ_INCIDENT, Resource(incident.company_id, incident.reporter_id, incident.number)).allowed
            ]
        found.sort(key=lambda pair: (rank(config, pair[0].severity), pair[0].created_at, pair[0].id))
        content, tz = application.content, ZoneInfo(application.settings.timezone)
        sp = Speaker("ja", content.book, content.words, utcnow().astimezone(tz).date())
        labels = {o.value: o.label.ja for o in questions(content)[config.category_question].options or []}
        return [
            [i.number, name, level_label(content, i.severity, sp), status_label(content, i.status, sp),
             labels.get(i.category, i.category), jst(i.created_at, tz), jst(i.updated_at, tz)]
            for i, name in found
        ]


def _chat(verb: str, number: str, rest: str, actor_name: str | None) -> None:
    """One chat command as the console account: its replies printed, exit 1 on a refusal or an
    error (the chat's own words, which do not tell a forbidden report from a missing one)."""
    from bot.app import open_app
    from bot.cli.auth import login_name
    from bot.engine.messages import Inbound
    from bot.platforms.console import render

    async def go() -> bool:
        async with open_app(flood_control=False) as application:
            text = f"/incident {verb} {number} {rest}".rstrip()
            replies = await application.runtime.handle(Inbound("console", login_name(actor_name), text=text, display_name=login_name(actor_name)))
        for reply in replies:
            typer.echo(render(reply) if verb == "show" else reply.text)
        return all(r.kind not in ("error", "reprompt") for r in replies)

    if not run(go):
        raise typer.Exit(1)


@incident_app.command("show")
def show(number: str = typer.Argument(..., help="INC-2026-0007, or 7"), actor: Optional[str] = AS_OPTION) -> None:
    """Summary, checklist and timeline."""
    _chat("show", number, "", actor)


@incident_app.command("note")
def note(number: str = typer.Argument(...), text: str = typer.Argument(...), actor: Optional[str] = AS_OPTION) -> None:
    """Add an update to the timeline."""
    _chat("note", number, text, actor)


@incident_app.command("move")
def move(number: str = typer.Argument(...), status: str = typer.Argument(..., help="in_progress, contained, closed (対応中, 収束, クローズ)"), actor: Optional[str] = AS_OPTION) -> None:
    """Change the status."""
    _chat("move", number, status, actor)


@incident_app.command("done")
def done(number: str = typer.Argument(...), steps: str = typer.Argument(..., help="1,3"), actor: Optional[str] = AS_OPTION) -> None:
    """Tick checklist steps."""
    _chat("done", number, steps, actor)
