"""What the calendar commands (`visit`, `event`, `notice`, `scheduler jobs`) share: running an
audited programme action, reading a Japan time as typed, writing an .ics to a file or stdout.

Times are typed and shown in Asia/Tokyo ("2026-12-03 14:00"). Every command asks bot/policy first,
as the other CLI commands do (act as the secretariat's console account with --as).
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, TypeVar

import typer

from bot.cli.common import fail, run, write_output

if TYPE_CHECKING:
    from bot.app import App
    from bot.policy import Action

T = TypeVar("T")


class Format(str, Enum):
    table = "table"
    csv = "csv"


def run_programme(action: Action, make: Callable[[App, Any], Awaitable[T]], actor: str | None, company: str | None = None) -> T:
    """Open the app, ask the policy, run; a mistake the secretariat can fix is one line, in
    HELPDESK_LANG (Japanese unless en), as the chat says it."""
    from bot.app import open_app
    from bot.cli.auth import audited
    from bot.cli.common import Failure
    from scheduler.errors import ProgrammeError
    from scheduler.visit_import import ImportFailed

    async def go() -> T:
        async with open_app() as application, audited(application, actor, action, company) as audit:
            try:
                return await make(application, audit.actor)
            except ProgrammeError as exc:
                fail(exc.render(application.content.book, application.settings.lang))
            except ImportFailed as exc:
                for problem in exc.problems:
                    typer.echo(f"error: {problem.render(application.content.book, application.settings.lang)}", err=True)
                typer.echo(f"nothing was imported ({len(exc.problems)} problem(s))", err=True)
                raise Failure(f"nothing was imported ({len(exc.problems)} problem(s))", 2) from None

    return run(go)


def local_time(text: str, application: App) -> Any:
    """A time as the secretariat types it, in the programme's time zone (scheduler/localtime.py)."""
    from bot.store.models import utcnow
    from scheduler.localtime import parse_local

    tz = application.runtime.tz
    return parse_local(text, tz, words=application.content.words, today=utcnow().astimezone(tz).date())


def write_or_print(data: bytes | str, output: Optional[Path], force: bool) -> None:
    if output is None:
        sys.stdout.write(data.decode("utf-8") if isinstance(data, bytes) else data)
        return
    write_output(output, data, force=force)
