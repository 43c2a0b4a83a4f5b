"""SQLite for the asyncio engine, called on the event loop's own thread.

SQLAlchemy's aiosqlite dialect runs every DBAPI call in aiosqlite's worker thread and waits for it:
a cursor, the statement, its rows and the close are four round trips through that thread for each
statement. Profiled (bench/README.md), those hops were most of the time of an answer, while the
SQLite calls themselves take microseconds (WAL with synchronous=NORMAL: a commit appends to the log
and does not fsync). This module gives the aiosqlite dialect a connection with aiosqlite's
interface that calls sqlite3 directly, so SQLAlchemy, its pool, its dialect and our code are the
same as before; only the thread hop is gone.

What a thread used to absorb is handled here instead:
- Waiting for another writer. sqlite3's own busy handler would sleep inside the call and so stop
  the whole event loop, including the task that holds the lock (a 15 s freeze). The connection
  is opened with no busy timeout, and a statement that meets SQLITE_BUSY is retried after an
  asyncio sleep, so the loop keeps running, up to BUSY_TIMEOUT seconds like the old timeout.
  SQLITE_BUSY_SNAPSHOT (a read transaction whose snapshot went stale cannot become a writer) is
  not retried: no wait can fix it. It does not arise here: sqlite3 begins a transaction at its
  first write, taking the write lock then, so no transaction reads before it writes.
- Long statements (a large export) hold the loop for their duration; every statement of the
  bot's conversations is a lookup by key.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any, Callable, Iterable

from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL

BUSY_TIMEOUT = 15.0  # seconds a statement waits for another writer, as sqlite3's timeout=15 did
_FIRST_WAIT, _LONGEST_WAIT = 0.001, 0.05


def is_busy(error: BaseException) -> bool:
    """Another connection holds the write lock: waiting can help (unlike SQLITE_BUSY_SNAPSHOT)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY and code != sqlite3.SQLITE_BUSY_SNAPSHOT


async def _call(function: Callable[..., Any], *args: Any) -> Any:
    deadline, wait = None, _FIRST_WAIT
    while True:
        try:
            return function(*args)
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
            now = time.monotonic()
            deadline = deadline or now + BUSY_TIMEOUT
            if now >= deadline:
                raise
            await asyncio.sleep(wait)
            wait = min(wait * 2, _LONGEST_WAIT)


class InlineCursor:
    """aiosqlite.Cursor's interface over a sqlite3 cursor."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_: Any) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Iterable[Any] = ()) -> InlineCursor:
        await _call(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> InlineCursor:
        await _call(self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunNow:
    """SQLAlchemy sets isolation_level by queueing (future, function) on aiosqlite's thread."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # noqa: BLE001 - handed back to the awaiting caller
            future.set_exception(error)


class InlineConnection:
    """aiosqlite.Connection's interface, as far as SQLAlchemy's dialect uses it."""

    _tx = _RunNow()

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection | None = connection

    @property
    def _connection(self) -> sqlite3.Connection | None:  # aiosqlite's "still open" check
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._open().cursor())

    async def commit(self) -> None:
        await _call(self._open().commit)

    async def rollback(self) -> None:
        self._open().rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:  # aiosqlite's forced close (SQLAlchemy's terminate)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level


def async_creator(url: URL) -> Callable[[], Any]:
    """The engine's async_creator: a sqlite3 connection for the URL, with no busy handler of its own."""
    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(url)
    kwargs.update(timeout=0, check_same_thread=False)  # the pool may close it from another thread

    async def connect() -> InlineConnection:
        return InlineConnection(sqlite3.connect(*args, **kwargs))

    return connect
