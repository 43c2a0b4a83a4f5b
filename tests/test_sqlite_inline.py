"""SQLite called on the event loop's thread (bot/store/sqlite_inline.py): waiting for another writer
must not stop the loop, and must end with the write done, or with an error once the wait is too long."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.config import async_url
from bot.store import sqlite_inline
from bot.store.db import make_engine
from bot.store.models import ProcessedEvent, utcnow
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's driver")


def _hold_write_lock(path: str) -> sqlite3.Connection:
    """Another process's writer, mid-transaction (as the CLI or the scheduler may be)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO processed_events (platform, event_id, received_at) VALUES ('cli', 'held', '2026-12-01')")
    return other


async def _write(engine, event_id: str) -> None:  # type: ignore[no-untyped-def]
    async with engine.begin() as connection:
        await connection.execute(
            ProcessedEvent.__table__.insert().values(platform="test", event_id=event_id, received_at=utcnow())
        )


async def test_a_writer_waits_for_the_lock_without_stopping_the_loop(database_url: str) -> None:
    path = database_url.removeprefix("sqlite:///")
    engine = make_engine(async_url(database_url))
    other = _hold_write_lock(path)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def release_later() -> None:
        await asyncio.sleep(0.3)
        other.commit()
        other.close()

    ticker = asyncio.create_task(tick())
    try:
        started = time.monotonic()
        await asyncio.gather(_write(engine, "waited"), release_later())
        waited = time.monotonic() - started
        async with engine.connect() as connection:
            stored = set(await connection.scalars(select(ProcessedEvent.event_id)))
    finally:
        ticker.cancel()
        await engine.dispose()
    assert stored == {"held", "waited"}  # both writers' rows, neither lost
    assert waited >= 0.3  # it did wait for the other writer...
    assert ticks >= 15  # ...while the loop kept running (a blocking busy handler would give ~0)


async def test_a_writer_gives_up_after_the_busy_timeout(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_TIMEOUT", 0.2)
    path = database_url.removeprefix("sqlite:///")
    engine = make_engine(async_url(database_url))
    other = _hold_write_lock(path)
    try:
        with pytest.raises(OperationalError, match="locked"):
            await _write(engine, "refused")
        other.rollback()
        async with engine.connect() as connection:
            stored = set(await connection.scalars(select(ProcessedEvent.event_id)))
    finally:
        other.close()
        await engine.dispose()
    assert stored == set()  # the refused write left nothing; the other writer rolled back


def test_only_plain_busy_is_worth_waiting_for(tmp_path: Path) -> None:
    path = str(tmp_path / "x.db")
    first = sqlite3.connect(path, isolation_level=None, timeout=0)
    first.execute("PRAGMA journal_mode=WAL")
    first.execute("CREATE TABLE t (x)")
    second = sqlite3.connect(path, isolation_level=None, timeout=0)
    first.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError) as locked:
        second.execute("BEGIN IMMEDIATE")
    assert sqlite_inline.is_busy(locked.value)
    first.rollback()
    # A reader whose snapshot went stale cannot become a writer: waiting never helps.
    second.execute("BEGIN")
    second.execute("SELECT * FROM t").fetchall()
    first.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError) as stale:
        second.execute("INSERT INTO t VALUES (2)")
    assert stale.value.sqlite_errorcode == sqlite3.SQLITE_BUSY_SNAPSHOT
    assert not sqlite_inline.is_busy(stale.value)
    first.close()
    second.close()



def _rows_in_the_database_file(path: str) -> int:
    """What the database file itself holds, the log left out (immutable=1 never reads the -wal)."""
    reader = sqlite3.connect(f"{Path(path).as_uri()}?immutable=1", uri=True)
    try:
        return int(reader.execute("SELECT count(*) FROM processed_events WHERE platform = 'test'").fetchone()[0])
    finally:
        reader.close()


async def test_commits_reach_the_database_file_through_the_checkpoint_thread(database_url: str) -> None:
    """Commits never checkpoint on the loop (wal_autocheckpoint=0); the process's checkpoint thread
    copies the log into the file while the engine's connections are still open."""
    path = database_url.removeprefix("sqlite:///")
    engine = make_engine(async_url(database_url))
    try:
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar() == 0
        for number in range(5):
            await _write(engine, f"e{number}")
        assert _rows_in_the_database_file(path) < 5  # just committed: still in the log
        deadline = time.monotonic() + 10 * sqlite_inline.CHECKPOINT_EVERY
        while _rows_in_the_database_file(path) < 5 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert _rows_in_the_database_file(path) == 5
    finally:
        await engine.dispose()


async def test_a_file_is_checkpointed_once_per_interval_however_often_it_is_written(
    database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = str(Path(database_url.removeprefix("sqlite:///")).absolute())
    done: list[str] = []
    real = sqlite_inline.checkpoint
    monkeypatch.setattr(sqlite_inline, "checkpoint", lambda p: (done.append(p), real(p)))
    engine = make_engine(async_url(database_url))
    try:
        started, number = time.monotonic(), 0
        while time.monotonic() - started < 4 * sqlite_inline.CHECKPOINT_EVERY:
            await _write(engine, f"e{number}")
            number += 1
        assert number > 100  # written far more often than checkpointed
        assert 1 <= done.count(path) <= 5
    finally:
        await engine.dispose()


def test_a_removed_database_is_not_made_again_by_its_checkpoint(tmp_path: Path) -> None:
    gone = tmp_path / "gone.db"
    sqlite_inline.checkpoint(str(gone))
    assert not gone.exists()


async def test_every_connection_syncs_each_commit(database_url: str) -> None:
    """synchronous=FULL: a commit is on disk before the answer is acknowledged, power cut or not
    (NORMAL, in WAL mode, could lose the last commits on a power cut)."""
    engine = make_engine(async_url(database_url))
    try:
        async with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                assert (await connection.exec_driver_sql("PRAGMA synchronous")).scalar() == 2  # FULL
                assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        await engine.dispose()
