"""Locks that a process holds for as long as it lives, and loses when it dies.

PostgreSQL: a session-level advisory lock on a connection of its own (autocommit, so it never sits
"idle in transaction"). When the process dies its connection closes and PostgreSQL releases the
lock; another process's next try takes it over. SQLite: an flock on a file next to the database,
which the kernel releases with the process.

Used for: the one process that runs the scheduler (SCHEDULER on PostgreSQL, the whole background
on SQLite), and each delivery worker's liveness (WORKERS namespace, so other workers can tell that a
claim's owner is gone: scheduler/worker.py).
"""

from __future__ import annotations

import logging
import os
from datetime import UTC
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# Two-number advisory lock keys: (namespace, key). 0x4844 is "HD" (help desk).
SCHEDULER = (0x48440001, 1)
WORKERS = 0x48440002


class ProcessLock(Protocol):
    async def acquire(self) -> bool:
        """Try once, without waiting."""
        ...

    async def alive(self) -> bool:
        """Still held (the connection behind it may have dropped)."""
        ...

    async def release(self) -> None: ...


class AdvisoryLock:
    def __init__(self, engine: AsyncEngine, namespace: int, key: int) -> None:
        self.engine = engine
        self.namespace = namespace
        self.key = key
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        if self._connection is not None:
            return await self.alive()
        connection = await self.engine.connect()
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:namespace, :key)"), {"namespace": self.namespace, "key": self.key}
            )
        except Exception:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def alive(self) -> bool:
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
            return True
        except Exception as exc:  # noqa: BLE001 - any failure means the session, and the lock, may be gone
            log.warning("advisory lock (%s, %s) lost: %s", self.namespace, self.key, type(exc).__name__)
            await self._drop()
            return False

    async def release(self) -> None:
        if self._connection is None:
            return
        try:
            await self._connection.execute(
                text("SELECT pg_advisory_unlock(:namespace, :key)"), {"namespace": self.namespace, "key": self.key}
            )
        except Exception:  # noqa: BLE001 - closing the connection releases it as well
            pass
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # noqa: BLE001 - it is already broken
                await connection.invalidate()


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    async def acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            import fcntl
        except ImportError:  # Windows: no flock; one process is the rule on SQLite anyway
            self._fd = -1
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for a person looking
        self._fd = fd
        return True

    async def alive(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None and fd >= 0:
            os.close(fd)  # closing the descriptor releases the flock


async def live_worker_keys(connection: AsyncConnection) -> set[int]:
    """PostgreSQL: the keys of the delivery workers whose liveness lock is held right now."""
    rows = await connection.execute(
        text(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = :namespace "
            "AND objsubid = 2 AND granted"
        ),
        {"namespace": WORKERS},
    )
    return {int(row[0]) for row in rows}


def background_lock_path(url: URL) -> Path:
    """SQLite: the file whose lock makes a process the one that schedules and delivers."""
    return Path(str(url.database)).with_suffix(".background.lock")


async def scheduler_holder(engine: AsyncEngine) -> str | None:
    """Who holds the scheduler's lock now, for a person looking (`helpdesk doctor`); None: nobody."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            row = (await connection.execute(
                text(
                    "SELECT a.pid, a.client_addr, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.classid = :namespace AND l.objid = :key AND l.objsubid = 2 AND l.granted "
                    # advisory locks belong to one database; pg_locks lists the whole server's
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"namespace": SCHEDULER[0], "key": SCHEDULER[1]},
            )).first()
        if row is None:
            return None
        where = f" from {row.client_addr}" if row.client_addr else " (local socket)"
        return f"PostgreSQL session {row.pid}{where}, connected since {row.backend_start.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    path = background_lock_path(engine.url)
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        # A shared lock is refused while a process holds the exclusive one; taken, it is let go at once.
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        pid = os.read(fd, 32).decode(errors="replace").strip()
        return f"process {pid or '?'} on this machine ({path.name})"
    finally:
        os.close(fd)
    return None
