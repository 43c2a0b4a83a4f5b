"""How fast `helpdesk serve slack` acknowledges Slack's requests, 50 at a time.

Starts the fake Slack Web API (tests/fakes/slack_api.py) and `helpdesk serve slack --port P` in a
child process on a fresh SQLite file (or HELPDESK_DATABASE_URL), then sends rounds of 50 concurrent
signed requests: DMs from 50 different people (message.im), `/helpdesk status` slash commands, and
button presses. Prints the median, 95th percentile and worst ack time per kind, and how long the
bot then took to post all the answers (the slow work after the ack).

    .venv/bin/python bench/slack_ack.py [--rounds 5] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.slack_api import BotProcess, FakeSlackAPI, SlackPerson, SlackRequest, fixture  # noqa: E402


def press(person: SlackPerson) -> SlackRequest:
    body = fixture("block_actions_button")
    body["user"]["id"] = person.user_id
    body["container"]["channel_id"] = person.dm
    body["container"]["message_ts"] = f"{time.time():.6f}"  # a new message each time: not a duplicate
    body["actions"][0].update(action_id="menu_status", block_id="menu", value="/status")
    return SlackRequest.interaction(body)


KINDS: dict[str, Callable[[SlackPerson], SlackRequest]] = {
    "message.im": lambda p: p.message("hello"),
    "slash command": lambda p: p.command("status"),
    "block_actions": press,
}


async def one_round(url: str, build: Callable[[SlackPerson], SlackRequest], concurrency: int, round_no: int) -> list[float]:
    people = [SlackPerson(f"U{round_no:03d}{i:06d}") for i in range(concurrency)]
    requests = [build(p) for p in people]

    async def send(http: aiohttp.ClientSession, request: SlackRequest) -> float:
        started = time.perf_counter()
        async with http.post(url, data=request.body, headers=request.headers()) as response:
            await response.read()
            assert response.status == 200, response.status
        return time.perf_counter() - started

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        return list(await asyncio.gather(*(send(http, r) for r in requests)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    api = FakeSlackAPI().start()
    with tempfile.TemporaryDirectory() as tmp:
        database = os.environ.get("HELPDESK_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
        bot = BotProcess(api, database, Path(tmp)).wait_until_listening()
        try:
            print(f"{args.concurrency} concurrent requests per round, {args.rounds} rounds per kind ({database.split(':')[0]})")
            for number, (kind, build) in enumerate(KINDS.items()):
                posts_before = len(api.since(0, "chat.postMessage"))
                acks: list[float] = []
                started = time.perf_counter()
                for round_no in range(args.rounds):
                    acks += asyncio.run(one_round(bot.url, build, args.concurrency, number * 100 + round_no))
                expected = posts_before + args.rounds * args.concurrency
                bot.wait_for(lambda: len(api.since(0, "chat.postMessage")) >= expected or None, timeout=300)
                answered = time.perf_counter() - started
                acks.sort()
                p95 = acks[int(len(acks) * 0.95) - 1]
                print(
                    f"  {kind:14} ack median {statistics.median(acks) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   "
                    f"max {acks[-1] * 1000:6.1f} ms   all {len(acks)} answered after {answered:5.2f} s"
                )
        finally:
            bot.stop()
            api.stop()


if __name__ == "__main__":
    main()
