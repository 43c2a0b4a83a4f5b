"""The programme calendar on the CLI: `helpdesk visit …`, `helpdesk event …`, `helpdesk notice …`,
and `helpdesk scheduler …` (the scheduler and delivery workers without a chat server).

Times are typed and shown in Asia/Tokyo ("2026-12-03 14:00"). Every command asks bot/policy first,
as the other CLI commands do (act as the secretariat's console account with --as).
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, TypeVar

import typer

from bot.cli_common import AS_OPTION, FORCE_OPTION, Lang, fail, run, write_output

if TYPE_CHECKING:
    from bot.app import App

T = TypeVar("T")

visit_app = typer.Typer(help="Expert visits: add, move, cancel, list, import a CSV, export .ics.", no_args_is_help=True)
event_app = typer.Typer(help="Community events: add, list, attendees, cancel, export .ics.", no_args_is_help=True)
notice_app = typer.Typer(help="Notices to participants: send, status, cancel, list.", no_args_is_help=True)
scheduler_app = typer.Typer(help="The scheduler and the delivery workers.", no_args_is_help=True)


class Mode(str, Enum):
    onsite = "onsite"
    online = "online"


class Kind(str, Enum):
    seminar = "seminar"
    networking = "networking"


class Format(str, Enum):
    table = "table"
    csv = "csv"


def _run(action: str, make: Callable[[App, Any], Awaitable[T]], actor: str | None, company: str | None = None) -> T:
    """Open the app, ask the policy, run; a mistake the secretariat can fix is one line (English)."""
    from bot.app import open_app
    from bot.cli_auth import audited
    from bot.cli_common import Failure
    from bot.policy import Action
    from scheduler.errors import ProgrammeError
    from scheduler.visit_import import ImportFailed

    async def go() -> T:
        async with open_app() as application, audited(application, actor, Action(action), company) as audit:
            try:
                return await make(application, audit.actor)
            except ProgrammeError as exc:
                fail(exc.render(application.content.book, "en"))
            except ImportFailed as exc:
                for problem in exc.problems:
                    typer.echo(f"error: {problem.render(application.content.book, 'en')}", err=True)
                typer.echo(f"nothing was imported ({len(exc.problems)} problem(s))", err=True)
                raise Failure(f"nothing was imported ({len(exc.problems)} problem(s))", 2) from None

    return run(go)


def _at(text: str, application: App) -> Any:
    from bot.store.models import utcnow
    from scheduler.localtime import parse_local

    tz = application.runtime.tz
    return parse_local(text, tz, words=application.content.words, today=utcnow().astimezone(tz).date())


def _write(data: bytes | str, output: Optional[Path], force: bool) -> None:
    if output is None:
        sys.stdout.write(data.decode("utf-8") if isinstance(data, bytes) else data)
        return
    write_output(output, data, force=force)


# --- visits


@visit_app.command("add")
def visit_add(
    company: str,
    number: int = typer.Option(..., "--no", min=1, help="Which visit: 1 hearing, 2-4 incident response set-up, 5-6 tabletop exercise."),
    at: str = typer.Option(..., "--at", help='Start, Japan time: "2026-12-03 14:00".'),
    mode: str = typer.Option(..., "--mode", help="onsite (a visit at the company) or online (a meeting URL)."),
    place: Optional[str] = typer.Option(None, "--place", help="The address (onsite) or the meeting URL (online)."),
    expert: Optional[str] = typer.Option(None, "--expert", help="An expert assigned to the company (name or account) also gets the notices; other text is only shown."),
    notify: bool = typer.Option(True, "--notify/--quiet", help="Tell the company now (reminders follow either way)."),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Schedule a visit; the company is told, and reminders are planned from content/programme.yaml."""
    from bot.store.models import utcnow
    from scheduler.localtime import format_cli
    from scheduler.visits import VisitSpec, add_visit

    async def make(application: App, who: Any) -> str:
        async with application.sessions.begin() as session:
            spec = VisitSpec(company, number, _at(at, application), mode, place, expert)
            visit = await add_visit(session, application.content, application.runtime.tz, spec, now=utcnow(), notify=notify)
            return f"visit {visit.id}: {company} no {number} at {format_cli(visit.starts_at, application.runtime.tz)} ({visit.mode}) scheduled"

    typer.echo(_run("manage_visits", make, actor, company))


@visit_app.command("move")
def visit_move(
    company: str,
    number: int = typer.Option(..., "--no", min=1),
    at: Optional[str] = typer.Option(None, "--at", help='New start, Japan time: "2026-12-10 10:00".'),
    mode: Optional[str] = typer.Option(None, "--mode"),
    place: Optional[str] = typer.Option(None, "--place"),
    expert: Optional[str] = typer.Option(None, "--expert"),
    notify: bool = typer.Option(True, "--notify/--quiet"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Move a visit (or change its mode, place or expert): old reminders go, new ones are planned."""
    from bot.store.models import utcnow
    from scheduler.localtime import format_cli
    from scheduler.visits import move_visit

    async def make(application: App, who: Any) -> str:
        async with application.sessions.begin() as session:
            when = _at(at, application) if at is not None else None
            visit = await move_visit(
                session, application.content, application.runtime.tz, company, number, now=utcnow(), at=when,
                mode=mode, place=place, expert=expert, notify=notify,
            )
            return f"visit {visit.id}: {company} no {number} now at {format_cli(visit.starts_at, application.runtime.tz)} ({visit.mode})"

    typer.echo(_run("manage_visits", make, actor, company))


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

    typer.echo(_run("manage_visits", make, actor, company))


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
    from scheduler.visits import company_named, list_visits

    async def make(application: App, who: Any) -> list[list[str]]:
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
        return table

    table = _run("manage_visits", make, actor, company)
    header = ["id", "company", "no", "title", "at", "mode", "place", "expert", "status", "replies"]
    if fmt is Format.csv:
        from bot.reports.cells import write_csv

        write_csv(sys.stdout, [header, *table])
        return
    if not table:
        typer.echo("no visits")
    for line in table:
        typer.echo("\t".join(line))


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

    added, unchanged = _run("manage_visits", make, actor)
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
    from scheduler.visits import company_named, list_visits

    async def make(application: App, who: Any) -> None:
        async with application.sessions() as session:
            found = await company_named(session, company)
            rows = await list_visits(session, company_id=found.id, include_cancelled=True)
        chosen = [(r.visit, r.company) for r in rows if number is None or r.visit.number == number]
        if not chosen:
            raise ProgrammeError("programme.no_visit", company=company, n=number or "-")
        _write(visits_ics(chosen, application.content, application.runtime.tz, lang.value, now=utcnow()), output, force)

    _run("manage_visits", make, actor, company)


# --- events


@event_app.command("add")
def event_add(
    kind: Kind = typer.Option(..., "--kind", help="seminar or networking (content/programme.yaml events.kinds)."),
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
            kind=kind.value, at=_at(at, application), title=title, place=place, capacity=capacity,
            rsvp_deadline=_at(rsvp_by, application) if rsvp_by else None, audience=parse_audience(to),
            duration_minutes=duration,
        )
        async with application.sessions.begin() as session:
            event, invited = await add_event(session, application.content, application.runtime.tz, spec, now=utcnow(), notify=notify)
            return f"event {event.id}: {event.title!r} added; invitation to {invited} people"

    typer.echo(_run("manage_events", make, actor))


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

    lines = _run("manage_events", make, actor)
    typer.echo("\n".join(lines) if lines else "no events")


@event_app.command("attendees")
def event_attendees(
    event_id: int = typer.Argument(..., metavar="ID"),
    fmt: Format = typer.Option(Format.table, "--format"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Who comes (yes), who waits, who said no: name, company, account, when they answered."""
    from scheduler.events import attendees
    from scheduler.localtime import format_cli

    async def make(application: App, who: Any) -> list[list[str]]:
        async with application.sessions() as session:
            rows = await attendees(session, event_id)
        return [
            [answer, person.display_name or "", company or "", f"{person.platform}:{person.platform_user_id}", format_cli(at, application.runtime.tz)]
            for person, company, answer, at in rows
        ]

    table = _run("manage_events", make, actor)
    if fmt is Format.csv:
        from bot.reports.cells import write_csv

        write_csv(sys.stdout, [["answer", "name", "company", "account", "answered"], *table])
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

    typer.echo(_run("manage_events", make, actor))


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
        _write(event_ics(event, application.content, application.runtime.tz, lang.value, now=utcnow()), output, force)

    _run("manage_events", make, actor)


# --- notices


@notice_app.command("send")
def notice_send(
    to: str = typer.Option(..., "--to", help="all, course:csirt, course:it-bcp or company:NAME (the companies' members and leads)."),
    text: str = typer.Option(..., "--text", help="The notice; '-' reads it from standard input."),
    at: Optional[str] = typer.Option(None, "--at", help='Send later, Japan time: "2026-12-01 09:00".'),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Queue a notice to everyone in the target; prints its id for `notice status`."""
    from bot.store.models import utcnow
    from scheduler.audience import parse_audience
    from scheduler.localtime import format_cli, require_future
    from scheduler.notices import broadcast

    body = sys.stdin.read() if text == "-" else text

    async def make(application: App, who: Any) -> str:
        now = utcnow()
        send_at = require_future(_at(at, application), now, application.runtime.tz) if at else None
        async with application.sessions.begin() as session:
            notice, count = await broadcast(
                session, application.content, parse_audience(to), body, now=now, send_at=send_at, created_by=who.person_id,
            )
        when = f" at {format_cli(send_at, application.runtime.tz)}" if send_at else ""
        return f"notice {notice.id} queued for {count} recipient(s){when}; follow it with: helpdesk notice status {notice.id}"

    typer.echo(_run("broadcast", make, actor))


@notice_app.command("status")
def notice_status_command(
    notice_id: int = typer.Argument(..., metavar="ID"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Sent / pending / failed / cancelled counts, and every failure with its reason."""
    from scheduler.localtime import format_cli
    from scheduler.notices import notice_status

    async def make(application: App, who: Any) -> list[str]:
        async with application.sessions() as session:
            status = await notice_status(session, notice_id)
        notice, counts = status.notice, status.counts
        lines = [
            f"notice {notice.id} ({notice.kind}{', ' + notice.audience if notice.audience else ''}), "
            f"send at {format_cli(notice.send_at, application.runtime.tz)}",
            f"sent {counts['sent']}  pending {counts['pending']}  failed {counts['failed']}  cancelled {counts['cancelled']}  (total {status.total})",
        ]
        for reason in ("dropped", "skipped"):
            if notice.payload.get(reason):
                lines.append(f"{reason}: {notice.payload[reason]}")
        if status.possible_duplicates:
            lines.append(f"{status.possible_duplicates} sent again after an interrupted attempt (may have arrived twice)")
        lines += [f"failed: {who_}: {error}" for who_, error in status.failures]
        return lines

    typer.echo("\n".join(_run("broadcast", make, actor)))


@notice_app.command("cancel")
def notice_cancel(
    notice_id: int = typer.Argument(..., metavar="ID"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Do not send what is not sent yet (a notice queued with --at, or one still going out)."""
    from scheduler.notices import cancel_notice

    async def make(application: App, who: Any) -> int:
        async with application.sessions.begin() as session:
            return await cancel_notice(session, notice_id)

    typer.echo(f"notice {notice_id}: {_run('broadcast', make, actor)} unsent message(s) cancelled")


@notice_app.command("list")
def notice_list(
    limit: int = typer.Option(20, "--limit", min=1),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """The latest notices (broadcasts, reminders, visit and event notices), newest first."""
    from scheduler.localtime import format_cli
    from scheduler.notices import recent_notices

    async def make(application: App, who: Any) -> list[str]:
        async with application.sessions() as session:
            notices = await recent_notices(session, limit)
        return [
            "\t".join([str(n.id), n.kind, n.ref or "", n.audience or "", format_cli(n.send_at, application.runtime.tz)])
            for n in notices
        ]

    lines = _run("broadcast", make, actor)
    typer.echo("\n".join(lines) if lines else "no notices")


# --- the scheduler


@scheduler_app.command("run")
def scheduler_run() -> None:
    """Deliver notices on every platform whose token is set (TELEGRAM_BOT_TOKEN, SLACK_BOT_TOKEN) and
    run the scheduler when this process holds its lock; stops on SIGTERM or Ctrl-C."""
    import asyncio
    import signal
    from contextlib import AsyncExitStack

    from bot.app import open_app
    from bot.logs import configure_logging
    from scheduler.background import run_background

    async def go() -> None:
        async with open_app() as application, AsyncExitStack() as stack:
            configure_logging(application.settings)
            senders = await _senders(application, stack)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            platforms = ", ".join(s.platform for s in senders) or "none (scheduler only)"
            typer.echo(f"scheduler: delivering on {platforms}; stop with Ctrl-C", err=True)
            await run_background(application.runtime, senders, stop=stop)

    run(go)


async def _senders(application: App, stack: Any) -> list[Any]:
    """A Sender for each platform configured; platform libraries are imported only when used."""
    senders: list[Any] = []
    settings = application.settings
    if settings.telegram_bot_token is not None:
        from bot.platforms.telegram import telegram_sender

        senders.append(await stack.enter_async_context(telegram_sender(application)))
    if settings.slack_bot_token is not None:
        from bot.platforms.slack import slack_sender

        senders.append(slack_sender(application))
    return senders


@scheduler_app.command("jobs")
def scheduler_jobs(actor: Optional[str] = AS_OPTION) -> None:
    """The reminders of the coming visits and events, when each is due (Japan time) and its state."""
    from bot.store.models import utcnow
    from scheduler.localtime import format_cli
    from scheduler.reminders import planned

    async def make(application: App, who: Any) -> list[str]:
        now = utcnow()
        tz = application.runtime.tz
        reminders = await planned(application.sessions, application.content, tz, now)
        return [f"{r.ref}\t{format_cli(r.due, tz)}\t{r.state(now)}" for r in sorted(reminders, key=lambda r: r.due)]

    lines = _run("manage_visits", make, actor)
    typer.echo("\n".join(lines) if lines else "no reminders planned")
