"""Alembic environment. Migrations run on a connection handed over by bot.store.db.upgrade
(Alembic's cookbook "connection sharing" pattern), so they share the bot's asyncio engine."""

from __future__ import annotations

from alembic import context

from bot.store.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations with `helpdesk db upgrade`, which provides the connection")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; use `helpdesk db upgrade`")
run_migrations_online()
