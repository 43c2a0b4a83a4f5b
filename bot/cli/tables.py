"""Lists on the CLI: on a terminal, a table with a header row (rich, installed with typer); to a pipe
or a file, one tab-separated line per row without a header, as scripts have always read them."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table


def table(header: list[str], rows: list[list[str]]) -> Table:
    shown = Table(*header, show_header=True, header_style="bold", show_lines=False)
    for row in rows:
        shown.add_row(*row)
    return shown


def show_table(header: list[str], rows: list[list[str]], empty: str) -> None:
    if not rows:
        typer.echo(empty)
        return
    if not sys.stdout.isatty():
        for row in rows:
            typer.echo("\t".join(row))
        return
    Console().print(table(header, rows))


def columns(text: str) -> list[str]:
    """A header row from content/messages, written "id,企業,回,…" (one message per table)."""
    return [name.strip() for name in text.split(",")]
