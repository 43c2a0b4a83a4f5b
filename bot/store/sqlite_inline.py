"""SQLite for the asyncio engine, called on the event loop's own thread.

SQLAlchemy's aiosqlite dialect runs every DBAPI call in aiosqlite's worker thread and waits for it:
a cursor, the statement, its rows and the close are four round trips through that thread for each
statement. Profiled (bench/README.md), those hops were most of the time of an answer, while the
SQLite calls themselves take microseconds (WAL mode; with synchronous=FULL a commit also syncs the
log, disk time measured by bench/sqlite_sync.py). This module gives the aiosqlite dialect a
connection with aiosqlite's interface that calls sqlite3 directly, so SQLAlchemy, its pool, its
dialect and our code are the same as before; only the thread hop is gone. (A commit sent to a
thread instead, so the loop runs during the sync, was tried with FULL: other writers then meet the
lock and back off, and p99 at 20 answers in flight grew from ~0.2-0.6 s to 1.2 s.)

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
- WAL checkpoints. By default the commit that takes the log past 1,000 pages copies it back into
  the database file and syncs both, on the loop: every few hundred answers, everyone waited
  ~17-20 ms (bench/README.md). Connections here are opened with wal_autocheckpoint=0, a commit marks
  its file, and one thread of the process checkpoints each marked file every CHECKPOINT_EVERY
  seconds (PASSIVE: it never waits for, nor blocks, readers and writers; sqlite3 lets go of the GIL
  while it copies and syncs). A killed process loses nothing by it: the log is the database until
  it is copied, and the next connection to close, or the next checkpoint, copies it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL

log = logging.getLogger(__name__)

BUSY_TIMEOUT = 15.0  # seconds a statement waits for another writer, as sqlite3's timeout=15 did
_FIRST_WAIT, _LONGEST_WAIT = 0.001, 0.05
CHECKPOINT_EVERY = 0.5  # seconds between checkpoints of a file written meanwhile


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


class _Checkpointer:
    """One thread per process: every CHECKPOINT_EVERY seconds, a PASSIVE checkpoint of each file
    committed to meanwhile, through a connection of its own (opened for it: nothing stays open)."""

    def __init__(self) -> None:
        self._written: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def written(self, path: str) -> None:
        self._written.add(path)  # set.add is atomic under the GIL: the commit path takes no lock
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(CHECKPOINT_EVERY)
            for path in list(self._written):
                # Unmarked before its checkpoint: a commit marking it again meanwhile is in the next one.
                self._written.discard(path)
                checkpoint(path)


def checkpoint(path: str) -> None:
    try:
        # mode=rw: a file removed meanwhile (a test's temporary database) is not made again.
        connection = sqlite3.connect(f"{Path(path).as_uri()}?mode=rw", uri=True, timeout=0)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as error:  # the next commit marks the file again
        log.debug("checkpoint of %s skipped: %s", path, error)


_checkpointer = _Checkpointer()


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

    def __init__(self, connection: sqlite3.Connection, path: str | None) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._path = path  # None: in memory, no log to checkpoint

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
        if self._path is not None:
            _checkpointer.written(self._path)

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


def create_private(path: str) -> None:
    """Make a new database file readable by its owner only (0600) before SQLite opens it: it holds
    every company's answers and incidents. SQLite gives the -wal and -shm files the database file's
    mode. An existing file is left as it is."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def async_creator(url: URL) -> Callable[[], Any]:
    """The engine's async_creator: a sqlite3 connection for the URL, with no busy handler of its own."""
    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(url)
    kwargs.update(timeout=0, check_same_thread=False)  # the pool may close it from another thread

    # The file that a commit marks for the checkpoint thread; None (SQLite checkpoints as usual) for a
    # database in memory, which has no log, or given as a file: URI, which is not parsed here.
    database = url.database
    plain_file = bool(database) and database != ":memory:" and not database.startswith("file:")  # type: ignore[union-attr]
    path = str(Path(database).absolute()) if plain_file else None  # type: ignore[arg-type]

    async def connect() -> InlineConnection:
        if path is not None:
            create_private(path)
        connection = sqlite3.connect(*args, **kwargs)
        if path is not None:
            connection.execute("PRAGMA wal_autocheckpoint=0")  # the checkpoint thread does it
        return InlineConnection(connection, path)

    return connect
