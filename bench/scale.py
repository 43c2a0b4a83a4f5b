"""Answers per second of 1, 2 and 4 `helpdesk serve slack` processes on one PostgreSQL (issue 14, 5).

Each run starts from an empty database (its tables dropped and migrated again) and N processes of
`helpdesk serve slack --port P` (BotProcess), all on that database and all talking to one stand-in
Slack Web API (FakeSlackAPI, in a child process of its own so its work does not share this
process's clock). `--requests` signed message.im events (`/status` typed in the DM, from `--people`
people in turn, so each person writes a few times: the first time registers them) go to the
processes in turn, as a load balancer in front of them would send them, from `--concurrency`
senders at once. An answer is a chat.postMessage the stand-in accepted; answers per second counts
them from the first request to the last answer, so the acks (fast) do not count, the answers do.
Each request is answered once: fewer posts than requests at the end is printed as lost, more as
twice.

Why Slack and not Telegram webhooks: each Telegram process spaces its own sends under Telegram's
30 messages/s per bot (AIORateLimiter), so a Telegram run measures that limit, not the processes.

The machine matters more than anything here: every process, the stand-in and this driver share the
CPUs named on the first line (and the load average says who else was using them). No figure is
asserted; the ratio to one process is printed beside each row.

    HELPDESK_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_h6 .venv/bin/python bench/scale.py
    .venv/bin/python bench/scale.py --database-url postgresql+psycopg://... --processes 1 --processes 2 --requests 600

The database is emptied: give it a scratch one, never a real one.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine import fresh_database, machine, percentile  # noqa: E402 - after the repository root is on the path (run as a script)
from bench.slack_ack import FakeAPIProcess, posts, rotating_people, send_signed, stop  # noqa: E402 - after the repository root is on the path (run as a script)
from tests.fakes.slack_api import BotProcess  # noqa: E402 - after the repository root is on the path (run as a script)

ANSWER_TIMEOUT = 120.0  # seconds after the last request for the answers still queued


async def _drive(urls: list[str], requests: int, people: int, concurrency: int) -> tuple[float, list[float], int]:
    """Send the requests round-robin; (when the first was sent, ack latencies, failed requests)."""
    everyone = rotating_people(people)
    targets = itertools.cycle(urls)
    left = itertools.count()
    acks: list[float] = []
    failed = 0
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as http:

        async def sender() -> None:
            nonlocal failed
            while next(left) < requests:
                latency, error = await send_signed(http, next(targets), next(everyone).message("/status"))
                if error is None:
                    acks.append(latency)
                else:
                    failed += 1

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return started, acks, failed


def run(api: FakeAPIProcess, url: str, processes: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    asyncio.run(_empty(url))
    bots = [BotProcess(api, url, tmp, env={"HELPDESK_LOG_LEVEL": "WARNING"}) for _ in range(processes)]  # type: ignore[arg-type]
    try:
        for bot in bots:
            bot.wait_until_listening()
        # One unrecorded request per process: first connections, first use of the database.
        before = posts(api)
        asyncio.run(_drive([b.url for b in bots], processes, processes, processes))
        deadline = time.monotonic() + 30
        while posts(api) < before + processes and time.monotonic() < deadline:
            time.sleep(0.1)
        before = posts(api)
        started, acks, failed = asyncio.run(_drive([b.url for b in bots], args.requests, args.people, args.concurrency))
        sent_by = time.perf_counter()
        last, count = started, posts(api) - before
        while count < args.requests and time.perf_counter() < sent_by + ANSWER_TIMEOUT:
            time.sleep(0.05)
            now = posts(api) - before
            if now > count:
                last, count = time.perf_counter(), now
        time.sleep(1.0)  # an answer sent twice would come in now
        total = posts(api) - before
        for bot in bots:
            if not bot.alive():
                raise SystemExit(f"a bot exited with {bot.process.returncode}:\n{bot.output[-3000:]}")
    finally:
        for bot in bots:
            stop(bot)
    elapsed = last - started
    return {
        "processes": processes, "answers": count, "seconds": elapsed,
        "per_second": count / elapsed if elapsed > 0 else 0.0,
        "ack_p50_ms": percentile(acks, 50) * 1000, "ack_p99_ms": percentile(acks, 99) * 1000,
        "failed": failed, "lost": max(0, args.requests - total), "twice": max(0, total - args.requests),
    }


async def _empty(url: str) -> None:
    await (await fresh_database(url)).dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("HELPDESK_DATABASE_URL", ""),
                        help="a scratch PostgreSQL database (default: HELPDESK_DATABASE_URL); it is emptied")
    parser.add_argument("--processes", type=int, action="append", help="repeatable; default 1, 2 and 4")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=40, help="requests in flight at once")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("several processes share one database on PostgreSQL: give --database-url postgresql+psycopg://…")
    counts = args.processes or [1, 2, 4]
    print(f"{args.requests} message.im events (/status) from {args.people} people, {args.concurrency} in flight, "
          f"to N `serve slack` processes in turn, on PostgreSQL; {machine()}")
    print(f"{'processes':>9} {'answers':>8} {'seconds':>8} {'answers/s':>10} {'x one':>6} {'ack p50':>8} {'ack p99':>8}"
          f" {'failed':>7} {'lost':>5} {'twice':>6}")
    api = FakeAPIProcess()
    one: float | None = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for processes in counts:
                f = run(api, args.database_url, processes, args, Path(tmp))
                one = one or f["per_second"]
                print(f"{processes:>9} {f['answers']:>8} {f['seconds']:>8.1f} {f['per_second']:>10.1f} "
                      f"{f['per_second'] / one:>6.2f} {f['ack_p50_ms']:>8.1f} {f['ack_p99_ms']:>8.1f} "
                      f"{f['failed']:>7} {f['lost']:>5} {f['twice']:>6}", flush=True)
    finally:
        api.stop()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
