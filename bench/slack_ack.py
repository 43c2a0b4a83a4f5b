"""How fast `helpdesk serve slack` (HTTP) acknowledges Slack's requests under sustained load, against
a bare slack-bolt app as the floor (issue 8).

For each kind of request (`/helpdesk status` slash commands, block_actions button presses, and
message.im events), `--concurrency` workers (default 50) each send signed requests one after the
other for `--seconds` (default 30), as Slack sends them (tests/fakes/slack_api.py: SlackPerson,
SlackRequest), from a rotating pool of `--people` people; every press is on a new message, so none
is a duplicate of an earlier one. Per kind it prints requests, requests per second, the ack latency
p50 / p95 / p99 / max (successful requests only) and the errors: a status other than 200, a failed
connection, or no answer within CLIENT_TIMEOUT. Target: p99 under 300 ms and no error (Slack gives
up after 3 s).

Ours is `helpdesk serve slack --port P` in a child process (BotProcess) on a fresh SQLite file, or
on the database HELPDESK_DATABASE_URL names (PostgreSQL: postgresql+psycopg://...; it keeps what the
runs write). The stand-in Slack Web API (FakeSlackAPI) runs in a child process of its own, so its
work does not hold up this process's clock. Each kind gets a new bot process on the same database:
the bot acknowledges faster than it answers, and the work still queued when a kind ends (stopped
as a SIGTERM stops it) must not weigh on the next kind. How fast the answers came meanwhile is
printed as the answers (chat.postMessage) it posted per second during the kind.

The floor is a bare slack-bolt AsyncApp (same signing secret, same stand-in Web API, one listener
per kind that only calls `await ack()`) served by slack-bolt's aiohttp adapter in a child process:
the same workers measure it the same way, over a socket. Our p50 and p99 are printed as ratios of
the floor's. No figure is asserted.

Each timed run starts after one unrecorded request per worker (first connections, slack-bolt's one
auth.test, first database use).

    .venv/bin/python bench/slack_ack.py [--seconds 30] [--concurrency 50] [--people 1000] [--json]
    HELPDESK_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_slack .venv/bin/python bench/slack_ack.py
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable, Iterator

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.slack_api import (  # noqa: E402
    BOT_TOKEN, SIGNING_SECRET, BotProcess, FakeSlackAPI, SlackPerson, SlackRequest, fixture,
)

TARGET_P99 = 0.300  # seconds; Slack's own limit is 3 s
CLIENT_TIMEOUT = 5.0  # seconds: past Slack's 3 s, so a late ack is counted as an error, not waited for
EVENTS_PATH = "/slack/events"  # where both apps listen (ours: bot/platforms/slack/server.py)
PRESSED_ACTION = "menu_status"  # the menu's "status" button, which our app answers

# message_ts of the pressed message: "<seconds>.<counter>", new for every press of a run and later
# than any press of an earlier run (a PostgreSQL database keeps the de-duplication keys of old runs).
_message_numbers = itertools.count()


def press(person: SlackPerson) -> SlackRequest:
    """The person presses "status" on a menu the bot posted in their DM: each time a new message."""
    body = fixture("block_actions_button")
    body["user"]["id"] = person.user_id
    body["channel"]["id"] = body["container"]["channel_id"] = person.dm
    body["container"]["message_ts"] = f"{int(time.time())}.{next(_message_numbers) % 10**6:06d}"
    body["actions"][0].update(action_id=PRESSED_ACTION, block_id="menu", value="/status")
    return SlackRequest.interaction(body)


KINDS: dict[str, Callable[[SlackPerson], SlackRequest]] = {
    "slash command": lambda person: person.command("status"),
    "block_actions": press,
    "message.im": lambda person: person.message("hello"),
}


# --- the load and its figures


@dataclass
class Figures:
    """One kind of request against one app."""

    seconds: float = 0.0  # from the first request sent to the last answer
    latencies: list[float] = field(default_factory=list)  # successful acks only, in seconds
    errors: Counter[str] = field(default_factory=Counter)  # "status 500", "timeout", "ClientOSError"...

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    def percentile(self, p: float) -> float:
        """Nearest rank: the smallest latency with at least p of them at or below it (NaN if none)."""
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)] if ordered else math.nan

    @property
    def met(self) -> bool:
        return not self.errors and self.percentile(0.99) < TARGET_P99

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "per_second": round(self.requests / self.seconds, 1) if self.seconds else None,
            **{f"p{round(p * 100)}_ms": _ms(self.percentile(p)) for p in (0.5, 0.95, 0.99)},
            "max_ms": _ms(max(self.latencies, default=math.nan)),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
        }


def _ms(seconds: float) -> float | None:
    """Milliseconds for the JSON output, which has no NaN (no successful request: None)."""
    return None if math.isnan(seconds) else round(seconds * 1000, 1)


async def send_signed(http: aiohttp.ClientSession, url: str, request: SlackRequest) -> tuple[float, str | None]:
    """(ack latency in seconds, None) or (elapsed, what went wrong). Signed just before it is sent,
    as Slack does, and timed from there (building the payload is the client's cost, not the app's)."""
    headers = request.headers()
    started = time.perf_counter()
    try:
        async with http.post(url, data=request.body, headers=headers) as response:
            await response.read()
            error = None if response.status == 200 else f"status {response.status}"
    except asyncio.TimeoutError:
        error = "timeout"
    except aiohttp.ClientError as exc:
        error = type(exc).__name__
    return time.perf_counter() - started, error


async def _load(
    url: str, build: Callable[[SlackPerson], SlackRequest], people: Iterator[SlackPerson], concurrency: int,
    seconds: float,
) -> Figures:
    figures = Figures()
    timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as http:

        async def warm_up() -> None:
            await send_signed(http, url, build(next(people)))

        async def worker(deadline: float) -> None:
            while time.perf_counter() < deadline:
                latency, error = await send_signed(http, url, build(next(people)))
                if error is None:
                    figures.latencies.append(latency)
                else:
                    figures.errors[error] += 1

        await asyncio.gather(*(warm_up() for _ in range(concurrency)))
        started = time.perf_counter()
        await asyncio.gather(*(worker(started + seconds) for _ in range(concurrency)))
        figures.seconds = time.perf_counter() - started
    return figures


def rotating_people(count: int) -> Iterator[SlackPerson]:
    """People in turn, so each of them acts now and then, as in a real workspace (the same ids on
    every run: on a kept database they are known people by then)."""
    return itertools.cycle([SlackPerson(f"U{900_000_000 + n}", name=f"bench{n}") for n in range(count)])


# --- the stand-in Web API and the floor, each in a child process


def _serve_fake_api(pipe: Connection) -> None:
    """Child process: FakeSlackAPI until told to stop; answers "calls" with its calls so far."""
    api = FakeSlackAPI().start()
    pipe.send(api.base_url)
    while pipe.recv() == "calls":
        calls = api.since(0)
        pipe.send(
            {"total": len(calls), "by_method": dict(Counter(c.method for c in calls)),
             "refused": dict(Counter(f"{c.method} {c.response.get('error')}" for c in calls if not c.ok))}
        )
    api.stop()


def _serve_floor(api_base_url: str, pipe: Connection) -> None:
    """Child process: the floor, a bare slack-bolt AsyncApp whose listeners only acknowledge."""
    from aiohttp import web
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    async def serve() -> None:
        # The token is checked once, with auth.test against the stand-in, on the first request
        # (a warm-up one); slack-bolt caches the answer, so no acked request waits on the network.
        app = AsyncApp(
            name="floor", signing_secret=SIGNING_SECRET,
            client=AsyncWebClient(token=BOT_TOKEN, base_url=api_base_url),
        )

        async def only_ack(ack: Any) -> None:
            await ack()

        app.command(fixture("command_helpdesk")["command"])(only_ack)
        app.action(PRESSED_ACTION)(only_ack)
        app.event("message")(only_ack)
        runner = web.AppRunner(app.web_app(path=EVENTS_PATH), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        pipe.send(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.Event().wait()  # until terminated

    asyncio.run(serve())


class Child:
    """A function of this module in a child process, which sends one value back once it is ready.
    Spawned, not forked: this process has threads (the output readers of BotProcess)."""

    def __init__(self, target: Callable[..., None], *args: Any) -> None:
        spawn = multiprocessing.get_context("spawn")
        self.pipe, theirs = spawn.Pipe()
        self.process = spawn.Process(target=target, args=(*args, theirs), daemon=True)
        self.process.start()
        if not self.pipe.poll(60):
            self.process.terminate()
            raise RuntimeError(f"{target.__name__} did not start")
        self.ready = self.pipe.recv()

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


class FakeAPIProcess(Child):
    def __init__(self) -> None:
        super().__init__(_serve_fake_api)
        self.base_url: str = self.ready  # all BotProcess needs of a FakeSlackAPI to start the bot

    def calls(self) -> dict[str, Any]:
        self.pipe.send("calls")
        return dict(self.pipe.recv())

    def stop(self) -> None:
        self.pipe.send("stop")
        self.process.join(10)


# --- the run


def run_ours(api: FakeAPIProcess, args: argparse.Namespace, database: str, tmp: Path) -> tuple[dict[str, Figures], dict[str, Any]]:
    """A new bot process per kind: the work it still has queued when its kind ends (it acknowledges
    faster than it answers) is its own and must not slow down the next kind. The answers it posted
    while its kind ran show how far they kept up with the acks."""
    people = rotating_people(args.people)
    figures: dict[str, Figures] = {}
    answering: dict[str, float] = {}
    for kind, build in KINDS.items():
        bot = BotProcess(api, database, tmp).wait_until_listening()  # type: ignore[arg-type]
        try:
            progress(f"ours:  {kind} for {args.seconds:g} s")
            before = posts(api)
            figures[kind] = asyncio.run(_load(bot.url, build, people, args.concurrency, args.seconds))
            answering[kind] = (posts(api) - before) / figures[kind].seconds
            if not bot.alive():
                raise RuntimeError(f"the bot exited with {bot.process.returncode}:\n{bot.output}")
        finally:
            stop(bot)
    return figures, {"posts_per_second": answering, "web_api": api.calls()}


def stop(bot: BotProcess) -> None:
    """SIGTERM, which gives the queued work 10 s (server.DRAIN_SECONDS) and cancels the rest; a bot
    that still has not exited after that is killed, so that it does not run on into the next kind."""
    try:
        bot.stop(timeout=60)
    except subprocess.TimeoutExpired:
        bot.process.kill()
        bot.process.wait()
        progress("the bot did not stop within 60 s of SIGTERM and was killed")


def posts(api: FakeAPIProcess) -> int:
    """Messages the bot posted so far: every turn of the three kinds answers with at least one."""
    return int(api.calls()["by_method"].get("chat.postMessage", 0))


def run_floor(api: FakeAPIProcess, args: argparse.Namespace) -> dict[str, Figures]:
    floor = Child(_serve_floor, api.base_url)
    url = f"http://127.0.0.1:{floor.ready}{EVENTS_PATH}"
    people = rotating_people(args.people)
    figures: dict[str, Figures] = {}
    try:
        for kind, build in KINDS.items():
            progress(f"floor: {kind} for {args.seconds:g} s")
            figures[kind] = asyncio.run(_load(url, build, people, args.concurrency, args.seconds))
    finally:
        floor.stop()
    return figures


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def ratio(ours: float, floor: float) -> float | None:
    value = ours / floor if floor else math.nan
    return None if math.isnan(value) else round(value, 2)


def report(args: argparse.Namespace, engine: str, ours: dict[str, Figures], floor: dict[str, Figures], after: dict[str, Any]) -> dict[str, Any]:
    return {
        "database": engine,
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "people": args.people,
        "target": {"p99_ms": TARGET_P99 * 1000, "errors": 0},
        "target_met": all(f.met for f in ours.values()),
        "kinds": {
            kind: {
                "ours": ours[kind].as_dict(),
                "floor": floor[kind].as_dict(),
                "p50_ratio": ratio(ours[kind].percentile(0.5), floor[kind].percentile(0.5)),
                "p99_ratio": ratio(ours[kind].percentile(0.99), floor[kind].percentile(0.99)),
                "target_met": ours[kind].met,
                "answers_posted_per_second": round(after["posts_per_second"][kind], 1),
            }
            for kind in KINDS
        },
        "web_api_calls": after["web_api"],
    }


def print_table(figures: dict[str, Any]) -> None:
    print(
        f"{figures['concurrency']} workers sending continuously for {figures['seconds']} s per kind, "
        f"{figures['people']} people in turn; ours on {figures['database']}; floor: bare slack-bolt, ack only"
    )
    print(f"{'':15}{'':7}{'requests':>9}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8} (ms){'errors':>8}")
    for kind, row in figures["kinds"].items():
        for who in ("ours", "floor"):
            f = row[who]
            times = "".join(f"{_shown(f[name], '.1f'):>8}" for name in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))
            print(
                f"{kind if who == 'ours' else '':15}{who:7}{f['requests']:>9}{_shown(f['per_second'], '.0f'):>8}{times}"
                f"{'':5}{f['errors']:>8}" + (f"  {f['error_kinds']}" if f["errors"] else "")
            )
        print(
            f"{'':15}ours / floor: p50 {_shown(row['p50_ratio'], '.2f')}x, p99 {_shown(row['p99_ratio'], '.2f')}x; "
            f"target {'met' if row['target_met'] else 'NOT met'}; "
            f"answers posted meanwhile: {row['answers_posted_per_second']:.0f}/s"
        )
    calls = figures["web_api_calls"]
    print(f"Web API calls by the bot: {calls['by_method']}; refused: {calls['refused'] or 'none'}")
    print(
        f"target (p99 < {TARGET_P99 * 1000:.0f} ms, 0 errors, every kind): "
        f"{'met' if figures['target_met'] else 'NOT met'}"
    )


def _shown(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="how long each kind is sent, to each app")
    parser.add_argument("--concurrency", type=int, default=50, help="workers, each sending one request at a time")
    parser.add_argument("--people", type=int, default=1000, help="how many people the requests come from, in turn")
    parser.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    args = parser.parse_args()
    api = FakeAPIProcess()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            database = os.environ.get("HELPDESK_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
            ours, after = run_ours(api, args, database, Path(tmp))
        floor = run_floor(api, args)
    finally:
        api.stop()
    figures = report(args, database.split(":")[0].split("+")[0], ours, floor, after)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print_table(figures)


if __name__ == "__main__":
    main()
