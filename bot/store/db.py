"""Database engine, sessions and migrations (asyncio: aiosqlite or psycopg)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: URL, **kwargs: Any) -> AsyncEngine:
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, **kwargs)  # SQLAlchemy's own aiosqlite dialect
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            path = url.database
            event.listen(engine.sync_engine, "do_connect", lambda *_: create_private(path))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def create_private(path: str) -> None:
    """Make a new database file readable by its owner only (0600) before SQLite opens it: it holds
    every company's answers and incidents. SQLite gives the -wal and -shm files the database file's
    mode. An existing file is left as it is."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the console, the CLI and a server read while one writes. FULL syncs the log at every
    # commit, so an answer acknowledged to a person survives a power cut too (NORMAL keeps it across a
    # killed process only; the last commits before a power cut could be lost). Its cost per answer is
    # measured by bench/sqlite_sync.py (bench/README.md).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    command.upgrade(_alembic_config(connection), revision)


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*["\']?([^"\'\s]+)', re.MULTILINE)


def head_revision() -> str | None:
    """The newest migration, read from the files (Alembic's own loader costs ~70 ms at every start,
    and start-up is measured): the revision that no other revision names as its parent."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((key, value) for key, value in _REVISION.findall(path.read_text(encoding="utf-8")))
        revisions.add(found.get("revision"))
        parents.add(found.get("down_revision"))
    heads = revisions - parents - {None}
    return heads.pop() if len(heads) == 1 else None


async def _stored_revision(engine: AsyncEngine) -> str | None:
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        return None  # no table yet: a new database


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations on the engine's own connection (no second event loop, no second engine)."""
    if revision == "head":
        head = head_revision()
        if head is not None and await _stored_revision(engine) == head:
            return  # the common case at every start: nothing to do, and Alembic is not imported
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def _revision(connection: Connection, message: str) -> None:
    from alembic import command

    command.revision(_alembic_config(connection), message=message, autogenerate=True)


async def new_revision(engine: AsyncEngine, message: str) -> None:
    """Write a migration for the difference between the models and the database (for developers)."""
    async with engine.begin() as connection:
        await connection.run_sync(_revision, message)
