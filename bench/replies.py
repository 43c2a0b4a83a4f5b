"""No reply is lost: N people (default 300) register at once (`/start CODE`) against a stand-in Bot
API / Web API that answers a share of calls 500 and a share 429 (with retry_after), on Telegram and
on Slack; beside it the floor, the same N with no faults, in the same run.

Telegram: the real python-telegram-bot Application (its update queue, as `serve telegram` feeds it;
its rate limiter at Telegram's 30/s) against tests/fakes/telegram_api.py. Slack: the real slack-bolt
app behind its HTTP endpoint (signed requests, as Slack sends them) against tests/fakes/slack_api.py.
In both, the real delivery worker sends the outbox meanwhile, and replies are retried for the real
bound (HELPDESK_REPLY_RETRY_SECONDS, 30 s by default) before they go there.

It prints, per platform and run: people answered, answered twice, lost (never answered), replies
that went through the outbox, the calls refused by the stand-in, and the seconds from the first
message to the last answer. A fresh SQLite file per run (or --database-url, emptied each run).

    .venv/bin/python bench/replies.py                       # 300 people, 5 % 500 + 5 % 429
    .venv/bin/python bench/replies.py -n 100 --p500 0.2 --platform telegram
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMPANY = "bench-replies"
SETTLE = 2.0  # seconds waited after the last answer, for anything sent twice to show


@dataclass
class Result:
    platform: str
    run: str
    people: int
    answered: int
    twice: int
    lost: int
    via_outbox: int
    refused: int
    seconds: float


async def fresh_app(raw_url: str, env: dict[str, str]) -> Any:
    from bench.engine import fresh_database
    from bot.app import open_app
    from bot.config import Settings

    engine = await fresh_database(raw_url)
    await engine.dispose()
    os.environ.update({"HELPDESK_DATABASE_URL": raw_url, **env})
    return open_app(Settings())


async def invitation(runtime: Any, people: int) -> str:
    from tests.conftest import add_company

    return await add_company(runtime, COMPANY, "csirt", role="member", uses=people)


async def reply_rows(sessions: Any) -> int:
    from sqlalchemy import func, select

    from bot.store.models import Notice, OutboxRow
    from bot.store.outbox import REPLY

    async with sessions() as session:
        query = select(func.count()).select_from(OutboxRow).join(Notice, Notice.id == OutboxRow.notice_id)
        return int(await session.scalar(query.where(Notice.kind == REPLY)) or 0)


@asynccontextmanager
async def delivering(sessions: Any, sender: Any) -> AsyncIterator[None]:
    from scheduler.worker import DeliveryWorker

    stop = asyncio.Event()
    worker = asyncio.create_task(DeliveryWorker(sessions, sender, poll=0.2, sole=True).run(stop))
    try:
        yield
    finally:
        stop.set()
        await worker


async def until_answered(count: Any, people: int, timeout: float) -> float:
    """Seconds until `count()` people are answered (or the timeout)."""
    started = time.monotonic()
    while count() < people and time.monotonic() - started < timeout:
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def telegram_run(raw_url: str, people: int, p500: float, p429: float, seed: int, timeout: float) -> Result:
    from telegram import Update

    from bot.platforms.telegram.application import build_application
    from bot.platforms.telegram.sender import telegram_sender
    from tests.fakes.telegram_api import FakeTelegramAPI, TelegramUser

    api = FakeTelegramAPI().start()
    env = {"TELEGRAM_BOT_TOKEN": api.token, "HELPDESK_TELEGRAM_API_URL": api.base_url}
    try:
        async with await fresh_app(raw_url, env) as app:
            code = await invitation(app.runtime, people)
            expected = joined(app.content.book, lambda text: text)
            crowd = [TelegramUser(api, user_id=3_000_000 + n, first_name=f"P{n}") for n in range(people)]
            application = build_application(app, api.token)

            def answers(person: TelegramUser) -> int:
                return sum(c.status == 200 and c.text == expected for c in api.since(0, "sendMessage", person.user_id))

            async with application, telegram_sender(app) as sender, delivering(app.sessions, sender):
                await application.start()
                api.faults(p500=p500, p429=p429, retry_after=1, seed=seed)
                for person in crowd:
                    await application.update_queue.put(Update.de_json(person.text_update(f"/start {code}"), application.bot))
                seconds = await until_answered(lambda: sum(answers(p) > 0 for p in crowd), people, timeout)
                await asyncio.sleep(SETTLE)
                await application.stop()
            counts = [answers(p) for p in crowd]
            refused = sum(c.status != 200 for c in api.since(0, "sendMessage"))
            return Result("telegram", "", people, sum(n > 0 for n in counts), sum(n > 1 for n in counts),
                          counts.count(0), await reply_rows(app.sessions), refused, seconds)
    finally:
        api.stop()


async def slack_run(raw_url: str, people: int, p500: float, p429: float, seed: int, timeout: float) -> Result:
    import aiohttp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.platforms.handover import ReplyRetry
    from bot.platforms.slack.blocks import from_engine
    from bot.platforms.slack.sender import SlackSender
    from tests.fakes.slack_api import BOT_TOKEN, FakeSlackAPI, SlackPerson, serving_in_process

    api = FakeSlackAPI().start()
    try:
        async with await fresh_app(raw_url, {}) as app:
            code = await invitation(app.runtime, people)
            expected = joined(app.content.book, from_engine)
            crowd = [SlackPerson(user_id=f"U0BENCH{n:04d}", name=f"p{n}") for n in range(people)]

            def answers(person: SlackPerson) -> int:
                return sum(c.text == expected for c in api.posts(person.user_id))

            retry = ReplyRetry.from_settings(app.settings)
            async with serving_in_process(app.runtime, api, retry) as bot, aiohttp.ClientSession() as http:
                client = AsyncWebClient(token=BOT_TOKEN, base_url=api.base_url, session=http)
                async with delivering(app.sessions, SlackSender(client, app.content.book)):
                    api.faults(p500=p500, p429=p429, retry_after=1, seed=seed, methods=None)
                    started = time.monotonic()
                    acks = await asyncio.gather(*(bot.send(p.message(f"/start {code}")) for p in crowd))
                    waited = await until_answered(lambda: sum(answers(p) > 0 for p in crowd), people, timeout)
                    seconds = time.monotonic() - started if waited < timeout else waited
                    await asyncio.sleep(SETTLE)
                    await bot.settle()
            bad_acks = sum(status != 200 for status, _ in acks)
            if bad_acks:
                print(f"slack: {bad_acks} requests not acknowledged with 200", file=sys.stderr)
            counts = [answers(p) for p in crowd]
            refused = sum(c.status != 200 for c in api.since(0))
            return Result("slack", "", people, sum(n > 0 for n in counts), sum(n > 1 for n in counts),
                          counts.count(0), await reply_rows(app.sessions), refused, seconds)
    finally:
        api.stop()


def joined(book: Any, shown: Any) -> str:
    return str(shown(book.say("start.joined", "ja", company=COMPANY, role=book.say("role.member", "ja"))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--people", type=int, default=300)
    parser.add_argument("--p500", type=float, default=0.05)
    parser.add_argument("--p429", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--platform", choices=("telegram", "slack", "both"), default="both")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for every answer")
    parser.add_argument("--database-url", help="PostgreSQL to use (emptied each run); default a temporary SQLite file")
    args = parser.parse_args()
    os.environ.setdefault("HELPDESK_LOG_LEVEL", "ERROR")
    import logging

    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    runs = {"telegram": telegram_run, "slack": slack_run}
    platforms = list(runs) if args.platform == "both" else [args.platform]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as scratch:
        for platform in platforms:
            for label, p500, p429 in (("floor (no faults)", 0.0, 0.0), (f"{args.p500:.0%} 500 + {args.p429:.0%} 429", args.p500, args.p429)):
                raw_url = args.database_url or f"sqlite:///{scratch}/{platform}-{len(results)}.db"
                result = asyncio.run(runs[platform](raw_url, args.people, p500, p429, args.seed, args.timeout))
                result.run = label
                results.append(result)
                print(row(result), flush=True)
    print()
    print("| platform | run | answered | answered twice | lost | via the outbox | refused calls | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for result in results:
        print(row(result))


def row(r: Result) -> str:
    return (f"| {r.platform} | {r.run} | {r.answered} of {r.people} | {r.twice} | {r.lost} | {r.via_outbox} | "
            f"{r.refused} | {r.seconds:.1f} |")


if __name__ == "__main__":
    main()
