"""Several bot processes on one PostgreSQL, as a bigger programme runs them: two `helpdesk serve
telegram --webhook` processes on different ports and two `helpdesk serve slack` processes, driven
black-box through the stand-in APIs. The same update reaches both webhooks and the same Slack event
both servers (Slack retries go to whichever instance answers): each is answered once. A broadcast
and a reminder reach each person once, whichever process delivers; the scheduler runs in one
process only, and when that one is killed with SIGKILL another takes over within a minute and the
next reminder still goes out once."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.runtime.core import Runtime
from bot.store.models import utcnow
from scheduler.audience import parse_audience
from scheduler.notices import broadcast
from scheduler.visits import VisitSpec, add_visit
from tests.calendar_setup import company, person
from tests.conftest import ON_POSTGRES
from tests.fakes import slack_api as slack
from tests.fakes import telegram_api as telegram
from tests.fakes.slack_api import FakeSlackAPI, SlackPerson, slack_api
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramUser, telegram_api

__all__ = ["slack_api", "telegram_api"]  # the fixtures, used by name
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ON_POSTGRES, reason="several bot processes share one database on PostgreSQL"),
]

SECRET = "several-processes_secret-token-0123456789"
LEADER = "this process runs the scheduler"
PEOPLE = 6  # per platform
# The reminders' re-read of the tables every second (so a visit added by the test is seen at once);
# the take-over stays at its default: "within a minute" is about the setting people run with.
ENV = {"HELPDESK_LOG_LEVEL": "INFO", "HELPDESK_SCHEDULER_SYNC_SECONDS": "1", "HELPDESK_DELIVERY_POLL_SECONDS": "0.1"}

Process = telegram.BotProcess | slack.BotProcess


def post_update(port: int, update: dict[str, Any]) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram/updates", data=json.dumps(update).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def slack_status(server: slack.BotProcess, request: slack.SlackRequest, retry: int | None) -> int:
    return server.send(request, retry=retry).status


def both_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Every call on a thread of its own, started together: the duplicates race each other."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def wait_until(check: Callable[[], bool], what: str, processes: list[Process], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        for process in processes:
            if process.process.poll() not in (None, -signal.SIGKILL):
                raise AssertionError(f"a bot exited with {process.process.returncode}:\n{process.output}")
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}\n" + "\n---\n".join(p.output[-2500:] for p in processes))
        time.sleep(0.05)


def telegram_texts(api: FakeTelegramAPI, needle: str) -> Counter[int]:
    return Counter(int(c.params["chat_id"]) for c in api.since(0, "sendMessage") if c.status == 200 and needle in c.text)


def slack_texts(api: FakeSlackAPI, needle: str) -> Counter[str]:
    return Counter(str(c.channel) for c in api.since(0, "chat.postMessage") if c.ok and needle in c.all_text)


@dataclass
class Bots:
    webhooks: list[tuple[telegram.BotProcess, int]]  # each with its port
    servers: list[slack.BotProcess]

    @property
    def all(self) -> list[Process]:
        return [w for w, _ in self.webhooks] + list(self.servers)


@pytest.fixture
def bots(telegram_api: FakeTelegramAPI, slack_api: FakeSlackAPI, database_url: str, tmp_path: Path) -> Iterator[Bots]:
    started = Bots([], [])
    try:
        for _ in range(2):
            port = slack.free_port()
            webhook = telegram.BotProcess(
                telegram_api, database_url, tmp_path, "--webhook-url", f"http://127.0.0.1:{port}/telegram/updates",
                "--port", str(port), env={**ENV, "HELPDESK_TELEGRAM_WEBHOOK_SECRET": SECRET},
            )
            started.webhooks.append((webhook, port))
        for _ in range(2):
            started.servers.append(slack.BotProcess(slack_api, database_url, tmp_path, env=ENV))
        for webhook, _ in started.webhooks:
            webhook.wait_for(lambda w=webhook: "is running (webhook" in w.output, 60, "the webhook server")  # type: ignore[misc]
        for server in started.servers:
            server.wait_until_listening()
        yield started
    finally:
        for process in started.all:
            if process.process.poll() is None:
                process.process.send_signal(signal.SIGTERM)
        for process in started.all:
            process.process.wait(30)


def leaders(processes: list[Process]) -> list[Process]:
    return [p for p in processes if p.process.poll() is None and LEADER in p.output]


async def test_four_processes_answer_and_deliver_each_thing_once_and_the_scheduler_moves_on(
    runtime: Runtime, bots: Bots, telegram_api: FakeTelegramAPI, slack_api: FakeSlackAPI,
) -> None:
    servers, processes = bots.servers, bots.all
    loop = asyncio.get_running_loop()

    async def blocking(call: Callable[[], Any]) -> Any:
        return await loop.run_in_executor(None, call)

    # The same update to both webhooks, and the same event to both Slack servers, at the same time.
    users = [TelegramUser(telegram_api, user_id=8_200_000 + n) for n in range(PEOPLE)]
    members = [SlackPerson(f"U0SEVERAL{n:02d}") for n in range(PEOPLE)]
    mark, slack_mark = telegram_api.mark(), slack_api.mark()
    calls: list[Callable[[], Any]] = []
    for user in users:
        update = user.text_update("/help")
        calls += [partial(post_update, port, update) for _, port in bots.webhooks]
    for member in members:
        event = member.message("/help")
        calls += [partial(slack_status, servers[0], event, None), partial(slack_status, servers[1], event, 1)]
    assert await blocking(lambda: both_at_once(calls)) == [200] * len(calls)

    def all_answered() -> bool:
        return all(user.answers(mark) for user in users) and all(slack_api.posts(m.user_id, slack_mark) for m in members)

    await blocking(lambda: wait_until(all_answered, "an answer to everyone", processes))
    await asyncio.sleep(2)  # a second answer, racing the first, would have arrived by now
    assert {u.user_id: len(u.answers(mark)) for u in users} == {u.user_id: 1 for u in users}
    assert {m.user_id: len(slack_api.posts(m.user_id, slack_mark)) for m in members} == {m.user_id: 1 for m in members}

    # Participants on both platforms: a broadcast, and visit 1's reminder a few seconds from now.
    await company(runtime, "A社", "csirt")
    for user in users:
        await person(runtime, str(user.user_id), role="member", company="A社", platform="telegram")
    for member in members:
        await person(runtime, member.user_id, role="member", company="A社", platform="slack")

    async def visit_with_reminder_in(number: int, seconds: float) -> None:
        # The one-hour-before reminder falls `seconds` from now (the processes use the real clock).
        now = utcnow()
        async with runtime.sessions.begin() as session:
            await add_visit(session, runtime.content, runtime.tz,
                            VisitSpec("A社", number, now + timedelta(hours=1, seconds=seconds), "online", None), now=now, notify=False)

    async with runtime.sessions.begin() as session:
        await broadcast(session, runtime.content, parse_audience("all"), "複数プロセスからのお知らせ", now=utcnow())
    await visit_with_reminder_in(1, 3)
    telegram_chats = {u.user_id: 1 for u in users}
    slack_dms = {m.dm: 1 for m in members}

    def reached_everyone(needle: str) -> Callable[[], bool]:
        return lambda: (set(telegram_texts(telegram_api, needle)) == set(telegram_chats)
                        and set(slack_texts(slack_api, needle)) == set(slack_dms))

    await blocking(lambda: wait_until(reached_everyone("複数プロセス"), "the broadcast to everyone", processes))
    await blocking(lambda: wait_until(reached_everyone("第1回"), "visit 1's reminder to everyone", processes))
    await asyncio.sleep(3)  # three more syncs and polls of four processes: a second send would show
    for needle in ("複数プロセス", "第1回"):
        assert telegram_texts(telegram_api, needle) == telegram_chats, needle
        assert slack_texts(slack_api, needle) == slack_dms, needle

    # One scheduler among the four; killed, another takes over and sends visit 2's reminder once,
    # although it fell due while no process ran the scheduler.
    (holder,) = leaders(processes)
    await visit_with_reminder_in(2, 3)
    holder.process.kill()
    holder.process.wait(10)
    killed_at = time.monotonic()
    survivors = [p for p in processes if p is not holder]
    await blocking(lambda: wait_until(lambda: bool(leaders(survivors)), "a new scheduler", survivors, timeout=60))
    took_over = time.monotonic() - killed_at
    await blocking(lambda: wait_until(reached_everyone("第2回"), "visit 2's reminder, from the new scheduler", survivors))
    await asyncio.sleep(3)
    assert telegram_texts(telegram_api, "第2回") == telegram_chats
    assert slack_texts(slack_api, "第2回") == slack_dms
    assert len(leaders(survivors)) == 1
    assert took_over < 60
