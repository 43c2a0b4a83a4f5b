"""`helpdesk event …`: community events (seminars, networking) with RSVP: add, list, attendees,
cancel, export .ics."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from bot.cli.calendar import Format, local_time, run_programme, write_or_print
from bot.cli.common import AS_OPTION, FORCE_OPTION, Lang, content_choice
from bot.policy import Action

if TYPE_CHECKING:
    from bot.app import App

event_app = typer.Typer(help="Community events: add, list, attendees, cancel, export .ics.", no_args_is_help=True)


@event_app.command("add")
def event_add(
    kind: str = typer.Option(..., "--kind", callback=content_choice("kinds"), help="seminar or networking (content/programme.yaml events.kinds)."),
    at: str = typer.Option(..., "--at", help='Start, Japan time: "2026-12-10 15:00".'),
    title: Optional[str] = typer.Option(None, "--title", help="Default: the kind's name."),
    place: Optional[str] = typer.Option(None, "--place"),
    capacity: Optional[int] = typer.Option(None, "--capacity", min=1, help="Places; further yeses go on a waiting list."),
    rsvp_by: Optional[str] = typer.Option(None, "--rsvp-by", help='Answer deadline, Japan time: "2026-12-03 17:00".'),
    to: str = typer.Option("all", "--to", help="Who is invited: all, course:csirt, course:it-bcp, company:NAME."),
    duration: Optional[int] = typer.Option(None, "--duration", min=15, help="Minutes (default from content)."),
    notify: bool = typer.Option(True, "--notify/--quiet", help="Send the invitation with RSVP buttons now."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Announce a community event with RSVP buttons (attend / not attending)."""
    from bot.store.models import utcnow
    from scheduler.audience import parse_audience
    from scheduler.events import EventSpec, add_event

    async def make(application: App, who: Any) -> str:
        spec = EventSpec(
            kind=kind, at=local_time(at, application), title=title, place=place, capacity=capacity,
            rsvp_deadline=local_time(rsvp_by, application) if rsvp_by else None, audience=parse_audience(to),
            duration_minutes=duration,
        )
        async with application.sessions.begin() as session:
            event, invited = await add_event(session, application.content, application.runtime.tz, spec, now=utcnow(), notify=notify)
            return f"event {event.id}: {event.title!r} added; invitation to {invited} people"

    typer.echo(run_programme(Action.MANAGE_EVENTS, make, actor))


@event_app.command("list")
def event_list(
    everything: bool = typer.Option(False, "--all", help="Also past and cancelled events."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """List events with their answers (yes / waiting list / no), capacity and audience."""
    from bot.store.models import utcnow
    from scheduler.events import list_events
    from scheduler.localtime import format_cli

    async def make(application: App, who: Any) -> list[str]:
        tz = application.runtime.tz
        async with application.sessions() as session:
            rows = await list_events(session, since=None if everything else utcnow(), include_cancelled=everything)
        return [
            "\t".join([
                str(e.id), e.kind, e.title, format_cli(e.starts_at, tz), e.place or "",
                f"yes {c['yes']}/{e.capacity if e.capacity is not None else '-'}", f"waiting {c['waitlist']}", f"no {c['no']}",
                f"rsvp-by {format_cli(e.rsvp_deadline, tz)}", e.status, f"to {e.audience}",
            ])
            for e, c in rows
        ]

    lines = run_programme(Action.MANAGE_EVENTS, make, actor)
    typer.echo("\n".join(lines) if lines else "no events")


@event_app.command("attendees")
def event_attendees(
    event_id: int = typer.Argument(..., metavar="ID"),
    fmt: Format = typer.Option(Format.table, "--format"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Who comes (yes), who waits, who said no: name, company, account, when they answered."""
    from scheduler.events import ATTENDEE_COLUMNS, attendee_cells, attendees

    async def make(application: App, who: Any) -> list[list[str]]:
        async with application.sessions() as session:
            rows = await attendees(session, event_id)
        return attendee_cells(rows, application.runtime.tz)

    table = run_programme(Action.MANAGE_EVENTS, make, actor)
    if fmt is Format.csv:
        from bot.reports.cells import write_csv

        write_csv(sys.stdout, [ATTENDEE_COLUMNS, *table])
        return
    for line in table:
        typer.echo("\t".join(line))
    typer.echo(f"{sum(1 for row in table if row[0] == 'yes')} attending, {sum(1 for row in table if row[0] == 'waitlist')} waiting")


@event_app.command("cancel")
def event_cancel(
    event_id: int = typer.Argument(..., metavar="ID"),
    notify: bool = typer.Option(True, "--notify/--quiet"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Cancel an event: those who said yes (or wait) are told; its reminders are dropped."""
    from bot.store.models import utcnow
    from scheduler.events import cancel_event

    async def make(application: App, who: Any) -> str:
        async with application.sessions.begin() as session:
            event = await cancel_event(session, application.content, application.runtime.tz, event_id, now=utcnow(), notify=notify)
            return f"event {event.id}: {event.title!r} cancelled"

    typer.echo(run_programme(Action.MANAGE_EVENTS, make, actor))


@event_app.command("ics")
def event_ics_command(
    event_id: int = typer.Argument(..., metavar="ID"),
    output: Optional[Path] = typer.Option(None, "--output", "-o"),
    force: bool = FORCE_OPTION,
    lang: Lang = typer.Option(Lang.ja, "--lang"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """The event as an iCalendar file (.ics)."""
    from bot.reports.ics import event_ics
    from bot.store.models import utcnow
    from scheduler.events import get_event

    async def make(application: App, who: Any) -> None:
        async with application.sessions() as session:
            event = await get_event(session, event_id)
        write_or_print(event_ics(event, application.content, application.runtime.tz, lang.value, now=utcnow()), output, force)

    run_programme(Action.MANAGE_EVENTS, make, actor)
