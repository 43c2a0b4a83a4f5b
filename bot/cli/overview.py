"""`helpdesk overview`: every company at a glance, for the secretariat (bot/reports/overview.py)."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Any, Optional

import typer

from bot.cli.common import AS_OPTION, run


class TableFormat(str, Enum):
    table = "table"
    csv = "csv"


def overview(
    fmt: TableFormat = typer.Option(TableFormat.table, "--format"),
    actor: Optional[str] = AS_OPTION,
) -> None:
    """Every company: hearing completion, open incidents by severity, next visit."""
    from bot.app import open_app
    from bot.cli.auth import require
    from bot.policy import Action
    from bot.reports.overview import company_rows
    from bot.store.models import utcnow
    from scheduler.localtime import format_cli

    async def go() -> tuple[list[Any], Any]:
        async with open_app() as application:
            await require(application, actor, Action.OVERVIEW)
            async with application.sessions() as session:
                return await company_rows(session, application.content, "ja", utcnow()), application.runtime.tz

    rows, tz = run(go)
    header = ["company", "course", "members", "hearing", "status", "incidents", "actions", "next_visit"]
    # The next visit as the CLI types it ("no 2 2026-12-10 10:00"), sortable and language-free.
    table = [
        [str(r.as_params(f"no {r.next_visit.number} {format_cli(r.next_visit.starts_at, tz)}" if r.next_visit else "-")[h]) for h in header]
        for r in rows
    ]
    if fmt is TableFormat.csv:
        from bot.reports.cells import write_csv

        write_csv(sys.stdout, [header, *table])
        return
    from bot.reports.width import display_width

    widths = [max(display_width(x) for x in [h, *(row[i] for row in table)]) for i, h in enumerate(header)]
    for row in [header, *table]:
        typer.echo("  ".join(cell + " " * (width - display_width(cell)) for cell, width in zip(row, widths)).rstrip())
