"""A broadcast to N recipients through a stand-in Telegram Bot API that enforces a rate limit and
answers 429 and 500 at random; optionally the delivering process is SIGKILLed midway and restarted.

Prints what the stand-in received: delivered (recipients with the message), duplicated (messages a
recipient got more than once), lost (recipients without it), failed rows, and the achieved rate as a
fraction of the limit. Target: 0 duplicated, 0 lost, at least 0.9 of the limit.

    .venv/bin/python bench/broadcast.py                      # 2,000 recipients, 30 msg/s, 2 % 429, 2 % 500
    .venv/bin/python bench/broadcast.py --kill-at 0.5        # SIGKILL the worker at half, restart it
    .venv/bin/python bench/broadcast.py -n 500 --p429 0.05 --p500 0.05 --database-url postgresql+psycopg://…/scratch

The delivering process is the real one, `helpdesk scheduler run` (python-telegram-bot's Bot behind
TelegramSender, the delivery worker, the outbox in SQLite or PostgreSQL); only the Bot API is
stood in. `--database-url` must name a scratch database: the bench empties its tables.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOKEN = "424242:BENCH"
TEXT = "bench broadcast"


@dataclass
class StandIn:
    """The Bot API as far as sending goes: getMe and sendMessage. Over `limit` requests in the last
    second, or a second message to one chat within a second, is answered 429 (retry after 1 s), as
    Telegram's flood control would; besides, any request may get a 429 or a 500 at random."""

    limit: float
    p429: float
    p500: float
    seed: int
    port: int = 0
    accepted: list[tuple[float, int]] = field(default_factory=list)  # (time, chat id)
    statuses: Counter[str] = field(default_factory=Counter)
    requests: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._window: deque[float] = deque()
        self._chat_last: dict[int, float] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> StandIn:
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self._loop.run_forever()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            return _ok({"id": 424242, "is_bot": True, "first_name": "bench", "username": "bench_bot"})
        if method != "sendMessage":
            return _ok(True)
        params = await _params(request)
        chat = int(params["chat_id"])
        now = time.monotonic()
        with self._lock:
            self.requests.append(now)
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            self._window.append(now)
            if len(self._window) > self.limit:
                self.statuses["429 over the limit"] += 1
                return _error(429, "Too Many Requests: retry after 1", retry_after=1)
            if now - self._chat_last.get(chat, -10.0) < 1.0:
                self.statuses["429 same chat within 1 s"] += 1
                return _error(429, "Too Many Requests: retry after 1", retry_after=1)
            draw = self._random.random()
            if draw < self.p429:
                self.statuses["429 random"] += 1
                return _error(429, "Too Many Requests: retry after 1", retry_after=1)
            if draw < self.p429 + self.p500:
                self.statuses["500 random"] += 1
                return _error(500, "Internal Server Error")
            self._chat_last[chat] = now
            self.accepted.append((now, chat))
            self.statuses["200"] += 1
            message_id = len(self.accepted)
        return _ok({"message_id": message_id, "date": int(time.time()), "chat": {"id": chat, "type": "private"}, "text": params.get("text", "")})

    def delivered(self) -> int:
        with self._lock:
            return len(self.accepted)


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


# --- the database: N recipients and one broadcast


async def prepare(url: str, n: int) -> None:
    from sqlalchemy import insert, text

    from bot.config import Settings, async_url
    from bot.content.loader import load_content
    from bot.store.db import make_engine, session_factory, upgrade
    from bot.store.models import Base, Company, Identity, Person, utcnow
    from scheduler.audience import parse_audience
    from scheduler.notices import broadcast

    engine = make_engine(async_url(url))
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            names = [t.name for t in reversed(Base.metadata.sorted_tables)]
            if connection.dialect.name == "postgresql":
                await connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
            else:
                for name in names:
                    await connection.execute(text(f"DELETE FROM {name}"))
        now = utcnow()
        sessions = session_factory(engine)
        async with sessions.begin() as session:
            company = Company(name="Bench", course="csirt", created_at=now)
            session.add(company)
            await session.flush()
            people = [
                {"platform": "telegram", "platform_user_id": str(100_000 + i), "display_name": f"p{i}",
                 "company_id": company.id, "role": "member", "language": "ja", "created_at": now}
                for i in range(n)
            ]
            await session.execute(insert(Person), people)
            ids = await session.execute(text("SELECT id, platform_user_id FROM people"))
            await session.execute(insert(Identity), [
                {"platform": "telegram", "platform_user_id": uid, "person_id": pid, "created_at": now} for pid, uid in ids
            ])
            content = load_content(Settings().content_dir)
            await broadcast(session, content, parse_audience("all"), TEXT, now=now)
    finally:
        await engine.dispose()


async def row_counts(url: str) -> Counter[str]:
    from sqlalchemy import text

    from bot.config import async_url
    from bot.store.db import make_engine

    engine = make_engine(async_url(url))
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT status, count(*) FROM outbox GROUP BY status"))
            counts: Counter[str] = Counter({status: int(count) for status, count in rows})
            flagged = await connection.scalar(text("SELECT count(*) FROM outbox WHERE last_error = 'sent again after an interrupted attempt'"))
            counts["flagged possible duplicate"] = int(flagged or 0)
            return counts
    finally:
        await engine.dispose()


# --- the delivering process


def start_worker(url: str, api: StandIn, limit: float, cwd: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ, "HELPDESK_DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": TOKEN, "HELPDESK_TELEGRAM_API_URL": api.url,
        "HELPDESK_TELEGRAM_RATE": str(limit), "HELPDESK_DELIVERY_POLL_SECONDS": "0.2", "HELPDESK_LOG_LEVEL": "ERROR",
    }
    env.pop("SLACK_BOT_TOKEN", None)
    log = open(cwd / "worker.log", "a", encoding="utf-8")  # noqa: SIM115 - the child owns it from here
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "scheduler", "run"], cwd=cwd, env=env, text=True,
        stdout=subprocess.DEVNULL, stderr=log,
    )


def max_in_one_second(times: list[float]) -> int:
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="recipients (default 2000)")
    parser.add_argument("--limit", type=float, default=30.0, help="messages per second the stand-in allows (Telegram: 30)")
    parser.add_argument("--p429", type=float, default=0.02, help="probability of a random 429 (default 0.02)")
    parser.add_argument("--p500", type=float, default=0.02, help="probability of a random 500 (default 0.02)")
    parser.add_argument("--kill-at", type=float, default=None, help="SIGKILL the worker when this fraction is delivered, then restart it")
    parser.add_argument("--database-url", default=None, help="a scratch database (default: a new SQLite file)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args()
    if args.limit > 30:
        print("note: python-telegram-bot's own rate limiter in TelegramSender caps sends at 30/s", file=sys.stderr)

    scratch = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    url = args.database_url or f"sqlite:///{scratch / 'bench.db'}"
    api = StandIn(args.limit, args.p429, args.p500, args.seed).start()
    asyncio.run(prepare(url, args.n))

    started = time.monotonic()
    worker = start_worker(url, api, args.limit, scratch)
    killed_at = restarted_gap = None
    kill_delay = random.Random(args.seed)
    try:
        while True:
            time.sleep(0.05)
            if worker.poll() is not None:
                raise SystemExit(f"the worker exited with {worker.returncode}; see {scratch / 'worker.log'}")
            if args.kill_at is not None and killed_at is None and api.delivered() >= args.kill_at * args.n:
                # A crash is not timed by the stand-in's answers: without this pause the kill would
                # follow the answer that crossed the threshold, before the worker has even read it.
                time.sleep(kill_delay.uniform(0.0, 0.5))
                worker.send_signal(signal.SIGKILL)
                worker.wait(10)
                killed_at = time.monotonic()
                before = api.delivered()
                worker = start_worker(url, api, args.limit, scratch)
                while api.delivered() == before and worker.poll() is None:
                    time.sleep(0.01)
                restarted_gap = time.monotonic() - killed_at
            if api.delivered() >= args.n:
                counts = asyncio.run(row_counts(url))
                if counts["pending"] + counts["sending"] == 0:
                    break
            if time.monotonic() - started > args.timeout:
                print("timeout: the broadcast did not finish", file=sys.stderr)
                break
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
    counts = asyncio.run(row_counts(url))

    received = Counter(chat for _, chat in api.accepted)
    expected = {100_000 + i for i in range(args.n)}
    delivered = len(expected & set(received))
    duplicated = sum(n - 1 for n in received.values() if n > 1)
    lost = len(expected - set(received))
    times = [t for t, _ in api.accepted]
    span = (times[-1] - times[0]) if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span else 0.0
    requests = sorted(api.requests)
    (scratch / "requests.json").write_text(json.dumps({"requests": requests, "accepted": times}))
    request_rate = (len(requests) - 1) / (requests[-1] - requests[0]) if len(requests) > 1 else 0.0
    figures = {
        "recipients": args.n, "limit_per_s": args.limit, "p429": args.p429, "p500": args.p500,
        "database": url.split(":", 1)[0], "killed": killed_at is not None,
        "delivered": delivered, "duplicated": duplicated, "lost": lost, "failed_rows": counts["failed"],
        "flagged_possible_duplicates": counts["flagged possible duplicate"],
        "seconds": round(span, 1), "restart_gap_s": round(restarted_gap, 2) if restarted_gap else None,
        "delivered_per_s": round(rate, 2), "achieved_fraction_of_limit": round(rate / args.limit, 3),
        "requests_per_s": round(request_rate, 2), "requests_fraction_of_limit": round(request_rate / args.limit, 3),
        "max_requests_in_any_second": max_in_one_second(requests), "answers": dict(api.statuses),
    }
    print(f"recipients {args.n}, limit {args.limit:g}/s, random 429 {args.p429:.0%}, random 500 {args.p500:.0%}, "
          f"database {figures['database']}{', killed once at ' + format(args.kill_at, '.0%') if args.kill_at else ''}")
    print(f"delivered   {delivered}")
    print(f"duplicated  {duplicated}   (rows flagged 'possible duplicate': {figures['flagged_possible_duplicates']})")
    print(f"lost        {lost}   (rows failed: {counts['failed']})")
    print(f"achieved    {rate:.1f} delivered/s = {rate / args.limit:.2f} of the limit over {span:.1f} s"
          f"{f' (incl. a {restarted_gap:.1f} s restart)' if restarted_gap else ''}; "
          f"requests {request_rate:.1f}/s = {request_rate / args.limit:.2f} of the limit, "
          f"at most {figures['max_requests_in_any_second']} in any one second")
    print("answers     " + ", ".join(f"{k}: {v}" for k, v in sorted(api.statuses.items())))
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
