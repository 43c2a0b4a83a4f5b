"""What synchronous=FULL costs an answer on the embedded SQLite database, beside NORMAL.

bot/store/db.py opens SQLite in WAL mode with synchronous=FULL: every commit syncs the log, so an
answer acknowledged to a person survives a power cut (NORMAL syncs only at checkpoints: a killed
process loses nothing, a power cut may lose the last commits). The sync is wall time, not CPU, and
it is spent in the commit, so this measures wall time:

  floor            a bare sqlite3 INSERT + COMMIT in WAL mode on the same disk: what one sync costs
  one at a time    people answering the hearing one after another through Runtime.handle (a
                   console Inbound, as the console and the tests drive it): ms per answer
  in flight        --concurrent people answering at once on one event loop: answers per second

each with synchronous=NORMAL and =FULL, in the same run (NORMAL is set by a connect listener added
after the engine's own, the way it was before). The files are made in --dir (default: the current
directory, where `helpdesk` puts helpdesk.db), not in a temporary directory that may be in memory.

    .venv/bin/python bench/sqlite_sync.py [--people 6] [--concurrent 40] [-n 500] [--dir .]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODES = ("NORMAL", "FULL")


def unlink(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def floor(path: Path, mode: str, n: int) -> float:
    """Wall ms of one INSERT + COMMIT with sqlite3 alone."""
    unlink(path)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute(f"PRAGMA synchronous={mode}")
    raw.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    started = time.perf_counter()
    for i in range(n):
        raw.execute("BEGIN")
        raw.execute("INSERT INTO t (v) VALUES (?)", (str(i),))
        raw.execute("COMMIT")
    elapsed = time.perf_counter() - started
    raw.close()
    unlink(path)
    return elapsed / n * 1000


async def answers(path: Path, mode: str, people: int, at_once: bool) -> tuple[int, float, list[float]]:
    """Everyone registers, then answers the whole hearing; returns (answers, seconds, ms per answer)."""
    from sqlalchemy import event

    from bench.engine import invitation_codes, scripted_texts
    from bot.config import PROJECT_ROOT, async_url
    from bot.content.loader import load_content
    from bot.engine.messages import Inbound
    from bot.runtime.core import Runtime
    from bot.store.db import make_engine, session_factory, upgrade

    unlink(path)
    engine = make_engine(async_url(f"sqlite:///{path}"))
    if mode != "FULL":
        def pragma(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA synchronous={mode}")

        event.listen(engine.sync_engine, "connect", pragma)
    await upgrade(engine)
    content = load_content(PROJECT_ROOT / "content")
    runtime = Runtime(session_factory(engine), content)
    codes = await invitation_codes(runtime, people)
    courses = list(codes)
    scripts = {course: scripted_texts(content, course) for course in courses}
    latencies: list[float] = []

    async def one(user: str, course: str) -> None:
        await runtime.handle(Inbound("console", user, text=f"/start {codes[course]}", display_name=user))
        await runtime.handle(Inbound("console", user, text="/hearing", display_name=user))

    async def walk(user: str, course: str) -> None:
        for text in scripts[course]:
            started = time.perf_counter()
            await runtime.handle(Inbound("console", user, text=text, display_name=user))
            latencies.append((time.perf_counter() - started) * 1000)

    people_list = [(f"p{i}", courses[i % len(courses)]) for i in range(people)]
    for user, course in people_list:
        await one(user, course)
    started = time.perf_counter()
    if at_once:
        await asyncio.gather(*(walk(user, course) for user, course in people_list))
    else:
        for user, course in people_list:
            await walk(user, course)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    unlink(path)
    return len(latencies), elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=6, help="people answering one after another")
    parser.add_argument("--concurrent", type=int, default=40, help="people answering at once")
    parser.add_argument("-n", type=int, default=500, help="commits of the floor")
    parser.add_argument("--dir", type=Path, default=Path.cwd())
    args = parser.parse_args()
    path = args.dir.resolve() / "bench-sqlite-sync.db"
    print(f"database file: {path.parent} (same disk as a helpdesk.db made there)")
    print(f"{'':<34}{'NORMAL':>12}{'FULL':>12}{'FULL-NORMAL':>14}")
    floors = {mode: floor(path, mode, args.n) for mode in MODES}
    print(f"{'floor: sqlite3 commit, ms':<34}{floors['NORMAL']:>12.3f}{floors['FULL']:>12.3f}{floors['FULL'] - floors['NORMAL']:>14.3f}")
    serial = {mode: asyncio.run(answers(path, mode, args.people, at_once=False)) for mode in MODES}
    mean = {m: statistics.fmean(lat) for m, (_, _, lat) in serial.items()}
    p99 = {m: statistics.quantiles(lat, n=100)[98] for m, (_, _, lat) in serial.items()}
    count = serial["FULL"][0]
    print(f"{f'one at a time ({count} answers), ms':<34}{mean['NORMAL']:>12.3f}{mean['FULL']:>12.3f}{mean['FULL'] - mean['NORMAL']:>14.3f}")
    print(f"{'  p99, ms':<34}{p99['NORMAL']:>12.3f}{p99['FULL']:>12.3f}{p99['FULL'] - p99['NORMAL']:>14.3f}")
    crowd = {mode: asyncio.run(answers(path, mode, args.concurrent, at_once=True)) for mode in MODES}
    rate = {m: n / seconds for m, (n, seconds, _) in crowd.items()}
    c99 = {m: statistics.quantiles(lat, n=100)[98] for m, (_, _, lat) in crowd.items()}
    print(f"{f'{args.concurrent} at once, answers/s':<34}{rate['NORMAL']:>12.0f}{rate['FULL']:>12.0f}{rate['FULL'] / rate['NORMAL']:>13.2f}x")
    print(f"{'  p99, ms':<34}{c99['NORMAL']:>12.1f}{c99['FULL']:>12.1f}{c99['FULL'] - c99['NORMAL']:>14.1f}")


if __name__ == "__main__":
    main()
