"""Shared pieces of the `helpdesk` command modules: option types, one-line errors, running a coroutine."""

from __future__ import annotations

import asyncio
from enum import Enum
from pathlib import Path
from typing import Awaitable, Callable, NoReturn, Optional, TypeVar

import typer

T = TypeVar("T")

# The identity a CLI command acts as (a console account); bot/cli_auth.py resolves it.
AS_OPTION: Optional[str] = typer.Option(None, "--as", help="Act as this console account (default: your login name).")
FORCE_OPTION: bool = typer.Option(False, "--force", help="Replace the --output file if it exists.")


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


class Failure(typer.Exit):
    """A command's one-line error, already shown; it keeps the line for the audit log."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(code)
        self.message = message


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise Failure(message, code)


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

    from bot.cli_auth import Refused
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
