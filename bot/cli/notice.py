"""`helpdesk notice …`: the secretariat's broadcasts: send, status, cancel, list (scheduler/notices.py;
every message goes through the outbox)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Optional

import typer

from bot.cli.calendar import local_time, run_programme
from bot.cli.common import AS_OPTION, YES_OPTION, confirm, say
from bot.policy import Action

if TYPE_CHECKING:
    from bot.app import App

notice_app = typer.Typer(help="Notices to participants: send, status, cancel, list.", no_args_is_help=True)


@notice_app.command("send")
def notice_send(
    to: str = typer.Option(..., "--to", help="all, course:csirt, course:it-bcp or company:NAME (the companies' members and leads)."),
    text: str = typer.Option(..., "--text", help="The notice; '-' reads it from standard input (then --yes is needed)."),
    at: Optional[str] = typer.Option(None, "--at", help='Send later, Japan time: "2026-12-01 09:00".'),
    yes: bool = YES_OPTION,
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Show the audience, its first recipients and the text, ask, then queue the notice; prints its
    id for `notice status`."""
    from bot.store.models import utcnow
    from scheduler.audience import first_recipients, participants, parse_audience
    from scheduler.errors import ProgrammeError
    from scheduler.localtime import format_cli, require_future
    from scheduler.notices import broadcast, check_text

    body = sys.stdin.read() if text == "-" else text

    async def make(application: App, who: Any) -> str:
        now = utcnow()
        send_at = require_future(local_time(at, application), now, application.runtime.tz) if at else None
        audience, checked = parse_audience(to), check_text(body)
        async with application.sessions() as session:
            people = await participants(session, audience)
        if not people:
            raise ProgrammeError("programme.no_recipients", audience=str(audience))
        # The preview goes to stderr: stdout keeps the one line a script reads (the notice's id).
        first, more = first_recipients(people)
        names = ", ".join(first)
        lines = [
            say(application, "programme.cli_preview", audience=str(audience), count=len(people)),
            say(application, "programme.cli_preview_first", names=names)
            + (" " + say(application, "programme.cli_preview_more", more=more) if more > 0 else ""),
            "---", checked, "---",
        ]
        typer.echo("\n".join(lines), err=True)
        confirm(application, yes, "programme.confirm_send", "programme.broadcast_declined")
        async with application.sessions.begin() as session:
            notice, count = await broadcast(
                session, application.content, audience, checked, now=now, send_at=send_at, created_by=who.person_id,
            )
        when = f" at {format_cli(send_at, application.runtime.tz)}" if send_at else ""
        return f"notice {notice.id} queued for {count} recipient(s){when}; follow it with: helpdesk notice status {notice.id}"

    typer.echo(run_programme(Action.BROADCAST, make, actor))


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

    typer.echo("\n".join(run_programme(Action.BROADCAST, make, actor)))


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

    typer.echo(f"notice {notice_id}: {run_programme(Action.BROADCAST, make, actor)} unsent message(s) cancelled")


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

    lines = run_programme(Action.BROADCAST, make, actor)
    typer.echo("\n".join(lines) if lines else "no notices")
