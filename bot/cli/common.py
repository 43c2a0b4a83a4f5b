"""Shared pieces of the `helpdesk` command modules: option types, choices from content, one-line
errors, periods, running a coroutine."""

from __future__ import annotations

import asyncio
import re
import sys
from enum import Enum
from pathlib import Path
from datetime import timedelta
from typing import TYPE_CHECKING, Awaitable, Callable, NoReturn, Optional, TypeVar

import typer

from bot.policy import Role as PolicyRole

if TYPE_CHECKING:
    from bot.app import App

T = TypeVar("T")

# The identity a CLI command acts as (a console account); bot/cli/auth.py resolves it.
AS_OPTION: Optional[str] = typer.Option(None, "--as", help="Act as this console account (default: your login name).")
FORCE_OPTION: bool = typer.Option(False, "--force", help="Replace the --output file if it exists.")
YES_OPTION: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (for scripts).")


# The roles an invitation gives, from the policy's own enum: the secretariat is named with
# `helpdesk secretariat add`, never by a code.
INVITED_ROLES = [role.value for role in PolicyRole if role is not PolicyRole.SECRETARIAT]


def invited_role(value: str) -> str:
    if value not in INVITED_ROLES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(repr(r) for r in INVITED_ROLES)}")
    return value


def content_choice(kind: str) -> Callable[[Optional[str]], Optional[str]]:
    """A typer callback that accepts only the ids content/programme.yaml lists for `kind` (courses,
    visit modes, event kinds): the secretariat adds a choice by editing content, not code. Content
    is read only when the option is given, so `helpdesk --help` and the console stay fast."""

    def check(value: Optional[str]) -> Optional[str]:
        if value is None:
            return None
        choices = programme_choices(kind)
        if choices and value not in choices:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(repr(c) for c in choices)} (content/programme.yaml)")
        return value

    return check


def programme_choices(kind: str) -> list[str]:
    from bot.config import Settings
    from bot.content.loader import cached_content

    programme = cached_content(Settings().content_dir).response.programme
    if programme is None:
        return []
    if kind == "courses":
        return [course.code for course in programme.courses]
    if kind == "modes":
        return [mode.id for mode in programme.visits.modes] if programme.visits else []
    if kind == "kinds":
        return [k.id for k in programme.events.kinds] if programme.events else []
    raise ValueError(kind)


class Lang(str, Enum):
    ja = "ja"
    en = "en"


class Failure(typer.Exit):
    """A command's one-line error, already shown; it keeps the line for the audit log."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(code)
        self.message = message


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise Failure(message, code)


def parse_period(text: str) -> timedelta:
    """"14d", "36h", "2w" (a bare number means days)."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhw]?)\s*", text.lower())
    if not match or int(match.group(1)) == 0:
        raise typer.BadParameter("use a number of days, hours or weeks, e.g. 14d, 36h, 2w")
    amount, unit = int(match.group(1)), match.group(2) or "d"
    return {"d": timedelta(days=amount), "h": timedelta(hours=amount), "w": timedelta(weeks=amount)}[unit]


def say(application: App, key: str, **params: object) -> str:
    """A CLI message from content/messages in HELPDESK_LANG (Japanese unless set to en)."""
    return application.content.book.say(key, application.settings.lang, **params)


def confirm(application: App, yes: bool, question_key: str, declined_key: str) -> None:
    """Ask before an action that is hard to take back; --yes skips it. Without a terminal to ask on
    (a pipe, a cron job) the command stops unless --yes was given: a script must say so."""
    if yes:
        return
    if not sys.stdin.isatty():
        fail(say(application, "programme.needs_yes"))
    if not typer.confirm(say(application, question_key), default=False):
        fail(say(application, declined_key), code=1)


def write_output(path: Path, data: bytes | str, *, force: bool) -> None:
    """An export to its --output file: owner-only, no overwrite without --force (bot/reports/output.py)."""
    from bot.reports.output import OutputExists, write_private

    try:
        write_private(path, data.encode("utf-8") if isinstance(data, str) else data, force=force)
    except OutputExists as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}; nothing was written")
    typer.echo(f"wrote {path}")


def run(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine and turn the failures a person can fix into one clear line each."""
    from pydantic import ValidationError
    from sqlalchemy.exc import DBAPIError

    from bot.cli.auth import Refused
    from bot.config import SettingsError
    from bot.content.loader import ContentInvalid

    try:
        return asyncio.run(make())  # type: ignore[arg-type]
    except ContentInvalid as exc:
        typer.echo("error: content is invalid; the bot will not start:", err=True)
        for issue in exc.issues:
            typer.echo(f"  {issue}", err=True)
        raise typer.Exit(2) from None
    except Refused:
        # The same words whatever the reason: a refusal must not tell whether a company exists.
        fail("not allowed, or not found (this is recorded in the audit log)", code=3)
    except SettingsError as exc:
        fail(str(exc))
    except ValidationError as exc:
        fail("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()))
    except DBAPIError as exc:
        fail(f"database error: {str(exc.orig).strip().splitlines()[0] if exc.orig else exc}")
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    raise AssertionError("unreachable")
