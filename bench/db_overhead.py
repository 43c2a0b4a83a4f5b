"""What one transaction and one statement cost through each layer, on SQLite.

The statement is the engine's own first one (claim an inbound event: INSERT … ON CONFLICT DO
NOTHING RETURNING), run N times (default 3,000) each way, CPU time per call:

  sqlite3 alone          the floor: the driver, a transaction and a commit per call
  engine.begin()         SQLAlchemy's AsyncConnection (its aiosqlite dialect underneath)
  AsyncSession           a session per transaction, as Runtime.handle opens one per message
  empty AsyncSession     the same with no statement: what the session and pool cost by themselves
  statement, session     one more statement inside an open session transaction
  statement, connection  the same through the session's connection

    .venv/bin/python bench/db_overhead.py [-n 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def per_call(n: int, one: Callable[[int], Awaitable[Any]]) -> float:
    started = time.process_time()
    for i in range(n):
        await one(i)
    return (time.process_time() - started) / n * 1000


async def main(n: int) -> None:
    from bot.config import async_url
    from bot.store import repo
    from bot.store.db import make_engine, session_factory, upgrade
    from bot.store.models import utcnow

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "overhead.db"
        engine = make_engine(async_url(f"sqlite:///{path}"))
        await upgrade(engine)
        sessions = session_factory(engine)
        statement, now = repo._CLAIM_EVENT["sqlite"], utcnow()

        def params(kind: str, i: int) -> dict[str, Any]:
            return {"platform": kind, "event_id": str(i), "now": now}

        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=NORMAL")
        sql = "INSERT INTO processed_events (platform, event_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING event_id"

        async def floor(i: int) -> None:
            raw.execute("BEGIN")
            raw.execute(sql, ("raw", str(i), now.isoformat())).fetchall()
            raw.execute("COMMIT")

        async def connection(i: int) -> None:
            async with engine.begin() as conn:
                await conn.execute(statement, params("conn", i))

        async def session(i: int) -> None:
            async with sessions() as s, s.begin():
                await s.execute(statement, params("session", i))

        async def empty(_: int) -> None:
            async with sessions() as s, s.begin():
                pass

        figures = {
            "sqlite3 alone": await per_call(n, floor),
            "engine.begin()": await per_call(n, connection),
            "AsyncSession": await per_call(n, session),
            "empty AsyncSession": await per_call(n, empty),
        }
        async with sessions() as s, s.begin():
            figures["statement, session"] = await per_call(n, lambda i: s.execute(statement, params("in-s", i)))
            conn = await s.connection()
            figures["statement, connection"] = await per_call(n, lambda i: conn.execute(statement, params("in-c", i)))
        raw.close()
        await engine.dispose()

    base = figures["sqlite3 alone"]
    print(f"{n} calls each, CPU ms per call (ratio to sqlite3 alone, a transaction per call):")
    for name, value in figures.items():
        print(f"  {name:<24}{value:8.3f} ms  {value / base:6.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=3000)
    asyncio.run(main(parser.parse_args().n))
