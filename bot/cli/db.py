"""`helpdesk db …`: the database's migrations (Alembic, bot/store/migrations)."""

from __future__ import annotations

import typer

from bot.cli.common import run

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations."""
    from bot.app import open_app
    from bot.store.db import current_revision

    async def go() -> str | None:
        async with open_app() as application:
            return await current_revision(application.engine)

    typer.echo(f"database at revision {run(go)}")


@db_app.command("revision")
def db_revision(message: str) -> None:
    """(developers) Write a migration for what the models changed."""
    from bot.app import open_app
    from bot.store.db import new_revision

    async def go() -> None:
        async with open_app() as application:
            await new_revision(application.engine, message)

    run(go)
