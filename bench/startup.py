"""How long `helpdesk console` takes to answer its first message, from process start.

Prints the median of N runs (a fresh SQLite file each time, migrations included on the first run of
each file) and, as the floor, a bare `python -c pass` measured in the same script.

    .venv/bin/python bench/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def first_reply_seconds(database: Path, migrated: bool) -> float:
    env = {**os.environ, "HELPDESK_DATABASE_URL": f"sqlite:///{database}"}
    if not migrated:
        subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "console", "--as", "bench"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True,
    )
    assert process.stdin and process.stdout
    process.stdin.write("/help\n")
    process.stdin.flush()
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.stdin.close()
    process.wait(timeout=30)
    assert line, process.stderr.read() if process.stderr else "no reply"
    return elapsed


def bare_python_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.db"
        first_reply_seconds(database, migrated=False)  # warm the OS file cache and migrate
        warm = [first_reply_seconds(database, migrated=True) for _ in range(args.runs)]
    floor = [bare_python_seconds() for _ in range(args.runs)]
    median, base = statistics.median(warm), statistics.median(floor)
    print(f"console first reply: median {median * 1000:.0f} ms over {args.runs} runs "
          f"(min {min(warm) * 1000:.0f}, max {max(warm) * 1000:.0f})")
    print(f"bare python start:   median {base * 1000:.0f} ms")
    print(f"ratio to bare python: {median / base:.1f}x; target: first reply under 1000 ms -> "
          f"{'met' if median < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
