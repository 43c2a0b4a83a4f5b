"""`helpdesk visit …`: the six expert visits of each company: add, move, cancel, list, import a CSV,
export .ics (scheduler/visits.py does the work; bot/cli/calendar.py runs it audited)."""

from __future__ import annotations

import sys
from pathlib import Path
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

import typer

from bot.cli.calendar import Format, local_time, run_programme, write_or_print
from bot.cli.common import AS_OPTION, FORCE_OPTION, YES_OPTION, Lang, confirm, content_choice, say
from bot.cli.tables import columns, show_table
from bot.policy import Action

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app import App

visit_app = typer.Typer(help="Expert visits: add, move, cancel, list, import a CSV, export .ics.", no_args_is_help=True)


@visit_app.command("add")
def visit_add(
    company: str,
    number: int = typer.Option(..., "--no", min=1, help="Which visit: 1 hearing, 2-4 incident response set-up, 5-6 tabletop exercise."),
    at: str = typer.Option(..., "--at", help='Start, Japan time: "2026-12-03 14:00".'),
    mode: str = typer.Option(..., "--mode", callback=content_choice("modes"), help="onsite (a visit at the company) or online (a meeting URL); content/programme.yaml visits.modes."),
    place: Optional[str] = typer.Option(None, "--place", help="The address (onsite) or the meeting URL (online)."),
    expert: Optional[str] = typer.Option(None, "--expert", help="An expert assigned to the company (name or account) also gets the notices; other text is only shown."),
    notify: bool = typer.Option(True, "--notify/--quiet", help="Tell the company now (reminders follow either way)."),
    yes: bool = YES_OPTION,
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Schedule a visit; the company is told, and reminders are planned from content/programme.yaml.
    A weekend, holiday or night start, or an expert booked elsewhere within two hours, is asked about."""
    from bot.store.models import utcnow
    from scheduler.localtime import format_cli
    from scheduler.companies import company_named
    from scheduler.visits import VisitSpec, add_visit

    async def make(application: App, who: Any) -> str:
        start = local_time(at, application)
        async with application.sessions() as session:
            found = await company_named(session, company)
            await _ask_about(application, session, found.id, start, expert, yes)
        async with application.sessions.begin() as session:
            spec = VisitSpec(company, number, start, mode, place, expert)
            visit = await add_visit(session, application.content, application.runtime.tz, spec, now=utcnow(), notify=notify)
            return f"visit {visit.id}: {company} no {number} at {format_cli(visit.starts_at, application.runtime.tz)} ({visit.mode}) scheduled"

    typer.echo(run_programme(Action.MANAGE_VISITS, make, actor, company))


@visit_app.command("move")
def visit_move(
    company: str,
    number: int = typer.Option(..., "--no", min=1),
    at: Optional[str] = typer.Option(None, "--at", help='New start, Japan time: "2026-12-10 10:00".'),
    mode: Optional[str] = typer.Option(None, "--mode", callback=content_choice("modes")),
    place: Optional[str] = typer.Option(None, "--place"),
    expert: Optional[str] = typer.Option(None, "--expert"),
    notify: bool = typer.Option(True, "--notify/--quiet"),
    yes: bool = YES_OPTION,
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Move a visit (or change its mode, place or expert): old reminders go, new ones are planned.
    A new time or expert is asked about as `visit add` asks."""
    from bot.store.models import utcnow
    from scheduler.localtime import format_cli
    from scheduler.visits import move_visit, plan_of, scheduled_visit

    async def make(application: App, who: Any) -> str:
        when = local_time(at, application) if at is not None else None
        if when is not None or expert is not None:
            async with application.sessions() as session:
                found, current = await scheduled_visit(session, plan_of(application.content), company, number)
                await _ask_about(
                    application, session, found.id, when or current.starts_at, expert or current.expert_name, yes,
                    times=when is not None,
                )
        async with application.sessions.begin() as session:
            visit = await move_visit(
                session, application.content, application.runtime.tz, company, number, now=utcnow(), at=when,
                mode=mode, place=place, expert=expert, notify=notify,
            )
            return f"visit {visit.id}: {company} no {number} now at {format_cli(visit.starts_at, application.runtime.tz)} ({visit.mode})"

    typer.echo(run_programme(Action.MANAGE_VISITS, make, actor, company))


async def _ask_about(
    application: App, session: AsyncSession, company_id: int, start: datetime, expert: str | None, yes: bool,
    *, times: bool = True,
) -> None:
    """Print what is unusual about this booking (scheduler/visit_cautions.py) and ask before going on."""
    from scheduler.visit_cautions import booking_cautions
    from scheduler.visits import plan_of

    book, lang, tz = application.content.book, application.settings.lang, application.runtime.tz
    cautions = await booking_cautions(session, start, expert, company_id, plan_of(application.content), tz, book, lang, times=times)
    if not cautions:
        return
    typer.echo("\n".join(c.render(book, lang) for c in cautions), err=True)
    confirm(application, yes, "programme.confirm_visit", "programme.visit_not_booked")


@visit_app.command("cancel")
def visit_cancel(
    company: str,
    number: int = typer.Option(..., "--no", min=1),
    notify: bool = typer.Option(True, "--notify/--quiet"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Cancel a visit: its reminders are dropped and the company is told."""
    from bot.store.models import utcnow
    from scheduler.visits import cancel_visit

    async def make(application: App, who: Any) -> str:
        async with application.sessions.begin() as session:
            visit = await cancel_visit(session, application.content, application.runtime.tz, company, number, now=utcnow(), notify=notify)
            return f"visit {visit.id}: {company} no {number} cancelled"

    typer.echo(run_programme(Action.MANAGE_VISITS, make, actor, company))


@visit_app.command("list")
def visit_list(
    company: Optional[str] = typer.Option(None, "--company", help="One company's visits (default: every company's)."),
    everything: bool = typer.Option(False, "--all", help="Also past and cancelled visits."),
    fmt: Format = typer.Option(Format.table, "--format"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """List visits (coming ones unless --all), Japan time, with the answers to the reminders."""
    from bot.store.models import utcnow
    from scheduler.localtime import format_cli
    from scheduler.companies import company_named
    from scheduler.visits import list_visits

    async def make(application: App, who: Any) -> tuple[list[list[str]], str]:
        plan = application.content.response.programme.visits if application.content.response.programme else None
        async with application.sessions() as session:
            found = await company_named(session, company) if company else None
            rows = await list_visits(
                session, company_id=found.id if found else None, since=None if everything else utcnow(),
                include_cancelled=everything,
            )
        table = []
        for row in rows:
            visit = row.visit
            planned = plan.visit(visit.number) if plan else None
            table.append([
                str(visit.id), row.company.name, str(visit.number), planned.title.ja if planned else "",
                format_cli(visit.starts_at, application.runtime.tz), visit.mode, visit.place or "", visit.expert_name or "",
                visit.status, f"ack {row.replies['ack']} reschedule {row.replies['reschedule']}",
            ])
        return table, say(application, "programme.columns_visits")

    table, titles = run_programme(Action.MANAGE_VISITS, make, actor, company)
    header = ["id", "company", "no", "title", "at", "mode", "place", "expert", "status", "replies"]
    if fmt is Format.csv:
        from bot.reports.cells import write_csv

        write_csv(sys.stdout, [header, *table])
        return
    show_table(columns(titles), table, "no visits")


@visit_app.command("import")
def visit_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV: company,no,at,mode,place,expert"),
    notify: bool = typer.Option(True, "--notify/--quiet", help="Tell each company of its new visits."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Schedule many visits from a CSV file: all or nothing; every problem is listed with its line."""
    from bot.store.models import utcnow
    from scheduler.visit_import import import_visits

    data = file.read_bytes()

    async def make(application: App, who: Any) -> tuple[int, int]:
        async with application.sessions.begin() as session:
            result = await import_visits(session, application.content, application.runtime.tz, data, now=utcnow(), notify=notify)
            return len(result.added), result.unchanged

    added, unchanged = run_programme(Action.MANAGE_VISITS, make, actor)
    typer.echo(f"imported {added} visit(s); {unchanged} already scheduled as in the file")


@visit_app.command("ics")
def visit_ics(
    company: str,
    number: Optional[int] = typer.Option(None, "--no", min=1, help="One visit (default: all the company's visits)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Default: standard output."),
    force: bool = FORCE_OPTION,
    lang: Lang = typer.Option(Lang.ja, "--lang"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """The company's visits as an iCalendar invitation (.ics)."""
    from bot.reports.ics import visits_ics
    from bot.store.models import utcnow
    from scheduler.errors import ProgrammeError
    from scheduler.companies import company_named
    from scheduler.visits import list_visits

    async def make(application: App, who: Any) -> None:
        async with application.sessions() as session:
            found = await company_named(session, company)
            rows = await list_visits(session, company_id=found.id, include_cancelled=True)
        chosen = [(r.visit, r.company) for r in rows if number is None or r.visit.number == number]
        if not chosen:
            raise ProgrammeError("programme.no_visit", company=company, n=number or "-")
        write_or_print(visits_ics(chosen, application.content, application.runtime.tz, lang.value, now=utcnow()), output, force)

    run_programme(Action.MANAGE_VISITS, make, actor, company)
