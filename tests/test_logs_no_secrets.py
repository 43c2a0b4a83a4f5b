"""Every long-running command at DEBUG, with its tokens set, against the stand-in APIs: a person's
message goes in, a reply (or a notice) goes out, and the output holds neither a token nor the text.

The HTTP clients under the platform libraries log each request URL (the Telegram token is in it) and,
at DEBUG, the request and response bodies (what people typed, what the bot answered them).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.runtime.core import Runtime
from scheduler.audience import parse_audience
from scheduler.notices import broadcast
from tests.calendar_setup import company, person
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlackAPI, SlackPerson, SlackRequest, slack_api
from tests.fakes.slack_api import BotProcess as SlackProcess
from tests.fakes.telegram_api import BotProcess as TelegramProcess
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramUser, telegram_api
from tests.test_telegram_webhook import free_port, post

__all__ = ["slack_api", "telegram_api"]  # the fixtures, used by name
pytestmark = pytest.mark.slow

# Writing every DEBUG line to a pipe slows the shutdown on a loaded machine (a full suite running
# beside other work took over 30 s once); the bound is for a process that hangs, not a speed test.
STOP_AT_DEBUG = 90
DEBUG = {"HELPDESK_LOG_LEVEL": "DEBUG"}
MARKER = "MARKER-q7Zx41"  # what a person typed: it must not reach a log line
WEBHOOK_SECRET = "webhook-Secret_for-the-log-test-0123456789"


# An incident report, typed: the person's text is stored, then shown back to them by `show`.
INCIDENT = ("/incident", "1", f"パスワードを {MARKER} に変えたら入れません", "1", "1", "/incident show INC-2026-0001")


def assert_clean(output: str, *secrets: str) -> None:
    assert output.strip(), "the process printed nothing: the test would prove nothing"
    assert " DEBUG " in output  # the level was taken: the bot's own debug lines are there
    for secret in (*secrets, MARKER):
        lines = [line for line in output.splitlines() if secret in line]
        assert not lines, f"{secret!r} in the output:\n" + "\n".join(lines[:5])


def company_code(run_cli: Any) -> str:
    added = run_cli("company", "add", "株式会社サンプル", "--course", "csirt")
    assert added.returncode == 0, added.stderr
    return str(added.stdout.strip().splitlines()[-1])


def test_serve_slack_logs_no_token_and_no_text(
    slack_api: FakeSlackAPI, database_url: str, tmp_path: Path, run_cli: Any
) -> None:
    code = company_code(run_cli)
    bot = SlackProcess(slack_api, database_url, tmp_path, env=DEBUG).wait_until_listening()
    person = SlackPerson()

    def step(request: SlackRequest, what: str) -> None:
        mark = slack_api.mark()
        assert bot.send(request).status == 200
        bot.wait_for(lambda: slack_api.posts(person.user_id, mark) or slack_api.since(mark, "views.update") or None,
                     what=what)

    step(person.command(f"start {code}"), "the welcome")
    step(person.shortcut("incident_report"), "the form")
    (form,) = [slack_api.views[c.params["view_id"]] for c in slack_api.since(0, "views.update")]
    kinds = next(b for b in form["blocks"] if b.get("block_id") == "f:category")["element"]
    answers = {"f:category": kinds["options"][0]["text"]["text"], "f:what": INCIDENT[2],
               "f:impact": "業務が止まっている", "f:spreading": "広がっている"}
    step(person.submit_view(form, answers), "the filing")
    step(person.command(INCIDENT[-1][1:]), "the report")
    assert bot.stop(timeout=STOP_AT_DEBUG) == 0, bot.output
    assert any(MARKER in c.all_text for c in slack_api.posts(person.user_id)), "the text never went out"
    assert_clean(bot.output, BOT_TOKEN, SIGNING_SECRET)


def test_serve_telegram_polling_logs_no_token_and_no_text(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, run_cli: Any
) -> None:
    code = company_code(run_cli)
    bot = TelegramProcess(telegram_api, database_url, tmp_path, env=DEBUG)
    bot.wait_until_polling()
    user = TelegramUser(telegram_api)
    for typed in (f"/start {code}", *INCIDENT):
        user.reply(user.send(typed))
    assert bot.stop(timeout=STOP_AT_DEBUG) == 0, bot.output
    assert any(MARKER in c.text for c in user.answers(0)), "the text never went out"
    assert_clean(bot.output, telegram_api.token)


def test_serve_telegram_webhook_logs_no_token_no_secret_and_no_text(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, run_cli: Any
) -> None:
    code = company_code(run_cli)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/updates"
    bot = TelegramProcess(
        telegram_api, database_url, tmp_path, "--webhook-url", url, "--port", str(port),
        env={**DEBUG, "HELPDESK_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET},
    )
    bot.wait_for(lambda: "is running (webhook" in bot.output, what="the webhook server")
    user = TelegramUser(telegram_api)
    for typed in (f"/start {code}", *INCIDENT):
        mark = telegram_api.mark()
        assert post(url, user.text_update(typed), WEBHOOK_SECRET) == 200
        user.reply(mark)
    assert bot.stop(timeout=STOP_AT_DEBUG) == 0, bot.output
    assert any(MARKER in c.text for c in user.answers(0)), "the text never went out"
    assert_clean(bot.output, telegram_api.token, WEBHOOK_SECRET)


async def test_scheduler_run_logs_no_token_and_no_text(
    runtime: Runtime, database_url: str, telegram_api: FakeTelegramAPI, slack_api: FakeSlackAPI, tmp_path: Path
) -> None:
    await company(runtime, "A社", "csirt")
    await person(runtime, "700001", role="member", company="A社", platform="telegram")
    async with runtime.sessions.begin() as session:
        await broadcast(session, runtime.content, parse_audience("all"), f"お知らせ {MARKER}", now=runtime.clock())
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")
    }
    env.update({
        **DEBUG, "HELPDESK_DATABASE_URL": database_url, "HELPDESK_DELIVERY_POLL_SECONDS": "0.1",
        "TELEGRAM_BOT_TOKEN": telegram_api.token, "HELPDESK_TELEGRAM_API_URL": telegram_api.base_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN, "HELPDESK_SLACK_API_URL": slack_api.base_url,
    })
    log = tmp_path / "scheduler.log"  # a file, not a pipe: DEBUG output would fill a pipe nobody reads
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "scheduler", "run"], stdout=out, stderr=subprocess.STDOUT,
            env=env, cwd=tmp_path,
        )
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while not any(MARKER in c.text for c in telegram_api.since(0, "sendMessage") if c.status == 200):
            assert process.poll() is None, "scheduler run exited early"
            assert asyncio.get_running_loop().time() < deadline, "the notice was never delivered"
            await asyncio.sleep(0.1)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(30)
    output = log.read_text(encoding="utf-8")
    assert process.returncode == 0, output
    assert_clean(output, telegram_api.token, BOT_TOKEN)
