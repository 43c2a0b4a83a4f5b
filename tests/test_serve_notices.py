"""Notices reach people from a running chat server, black-box: `helpdesk serve slack` (HTTP and
Socket Mode), `helpdesk serve telegram` and `helpdesk scheduler run` in child processes, set up with
the CLI as the secretariat would, and read from what the stand-in API received (which refuses every
call without the bot token, as the real APIs do).

Each server delivers to a registered participant (the company's lead) an incident escalation (a
member files it), a visit reminder (the one an hour before a visit added a minute ahead) and a
secretariat broadcast."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.content.loader import Content
from bot.platforms.slack.blocks import from_engine
from tests.fakes.slack_api import (
    APP_TOKEN,
    BOT_TOKEN,
    FakeSlackAPI,
    SlackPerson,
    SlackRequest,
    slack_api,
)
from tests.fakes.slack_api import (
    BotProcess as SlackBot,
)
from tests.fakes.slack_api import (
    Call as SlackCall,
)
from tests.fakes.telegram_api import BotProcess as TelegramBot
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramUser, telegram_api
from tests.test_telegram_groups import register as register_on_telegram

__all__ = ["slack_api", "telegram_api"]  # the fixtures, used by name
pytestmark = pytest.mark.slow

COMPANY = "株式会社サンプル"
BROADCAST = "年末年始の窓口のご案内です"
FAST = {"HELPDESK_DELIVERY_POLL_SECONDS": "0.1", "HELPDESK_SCHEDULER_SYNC_SECONDS": "1"}
JST = ZoneInfo("Asia/Tokyo")


def visit_soon(run_cli: Any) -> None:
    """Visit 1, starting one hour after the next minute's start: its one-hour-before reminder is due
    within about a minute (the CLI takes minutes only; the reminder must fall after the planning)."""
    now = datetime.now(JST)
    start = (now + timedelta(seconds=75)).replace(second=0, microsecond=0) + timedelta(hours=1)
    added = run_cli("visit", "add", COMPANY, "--no", "1", "--at", start.strftime("%Y-%m-%d %H:%M"),
                    "--mode", "online", "--quiet")
    assert added.returncode == 0, added.stderr


def broadcast(run_cli: Any) -> None:
    sent = run_cli("notice", "send", "--to", "all", "--text", BROADCAST, "--yes")
    assert sent.returncode == 0, sent.stderr


def reminder_text(content: Content) -> str:
    return content.book.say("programme.notice_visit_reminder", "ja")[:8]


# --- Slack


def slack_register(bot: SlackBot, api: FakeSlackAPI, person: SlackPerson, code: str,
                   send: Callable[[SlackRequest], Any]) -> None:
    mark = api.mark()
    send(person.message(f"/start {code}"))
    joined = bot.wait_for(lambda: next(iter(api.posts(person.user_id, mark)), None), what="the welcome")
    assert COMPANY in joined.text


def last_line(result: Any) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout.strip().splitlines()[-1])


def file_slack_incident(bot: SlackBot, api: FakeSlackAPI, member: SlackPerson) -> None:
    """The member files an incident from the shortcut's modal, as test_slack_serve does."""
    mark = api.mark()
    assert bot.send(member.shortcut("incident_report")).status == 200
    (update,) = bot.wait_for(lambda: api.since(mark, "views.update") or None, what="the form")
    form = api.views[update.params["view_id"]]
    kinds = next(b for b in form["blocks"] if b.get("block_id") == "f:category")["element"]
    answers = {"f:category": kinds["options"][0]["text"]["text"], "f:what": "ファイルが開けない",
               "f:impact": "業務が止まっている", "f:spreading": "広がっている"}
    mark = api.mark()
    assert bot.send(member.submit_view(form, answers)).status == 200
    bot.wait_for(lambda: next((c for c in api.posts(member.user_id, mark) if "INC-2026-0001" in c.all_text), None),
                 what="the filing")


def slack_posts_to(api: FakeSlackAPI, person: SlackPerson, needle: str) -> list[SlackCall]:
    return [c for c in api.posts(person.user_id) if needle in c.all_text]


def test_serve_slack_delivers_an_escalation_a_reminder_and_a_broadcast(
    slack_api: FakeSlackAPI, database_url: str, tmp_path: Path, run_cli: Any, content: Content,
) -> None:
    bot = SlackBot(slack_api, database_url, tmp_path, env=FAST).wait_until_listening()
    try:
        lead, member = SlackPerson("U0LEAD0001", "lead"), SlackPerson("U0MEMB0001", "member")
        slack_register(bot, slack_api, lead, last_line(run_cli("company", "add", COMPANY, "--course", "csirt")),
                       bot.send)
        slack_register(bot, slack_api, member, last_line(run_cli("invite", COMPANY, "--role", "member")), bot.send)
        visit_soon(run_cli)
        broadcast(run_cli)
        file_slack_incident(bot, slack_api, member)

        reminder = reminder_text(content)
        for needle, timeout in ((BROADCAST, 30), ("INC-2026-0001", 30), (reminder, 120)):
            bot.wait_for(lambda n=needle: slack_posts_to(slack_api, lead, from_engine(n)) or None, timeout, needle)
        for needle in (BROADCAST, "INC-2026-0001", reminder):
            (post,) = slack_posts_to(slack_api, lead, from_engine(needle))  # once each
            assert post.token == BOT_TOKEN
        status = run_cli("notice", "status", "1")
        assert status.returncode == 0 and "pending 0" in status.stdout, status.stdout
    finally:
        assert bot.stop() == 0, bot.output
    refused = [c for c in slack_api.calls if not c.ok and c.response.get("error") in ("not_authed", "invalid_auth")]
    assert refused == []  # nothing was tried without the token


def test_serve_slack_in_socket_mode_delivers_a_broadcast(
    slack_api: FakeSlackAPI, database_url: str, tmp_path: Path, run_cli: Any,
) -> None:
    bot = SlackBot(slack_api, database_url, tmp_path, env={**FAST, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": ""})
    try:
        bot.wait_for(lambda: "Socket Mode" in bot.output or None, what="the Socket Mode connection")
        lead = SlackPerson("U0LEAD0002", "lead")
        code = last_line(run_cli("company", "add", COMPANY, "--course", "csirt"))
        slack_register(bot, slack_api, lead, code, lambda request: slack_api.socket_send(json.loads(request.body)))
        broadcast(run_cli)
        (post,) = bot.wait_for(lambda: slack_posts_to(slack_api, lead, BROADCAST) or None, what="the broadcast")
        assert post.token == BOT_TOKEN
    finally:
        assert bot.stop() == 0, bot.output


# --- Telegram


def file_telegram_incident(member: TelegramUser) -> None:
    """A triage walk that ends in a report, as test_telegram_incident does."""
    def with_buttons(mark: int) -> Any:
        return member.reply(mark, lambda c: bool(c.buttons))

    question = with_buttons(member.send("/soudan"))
    question = with_buttons(member.press(question, "セキュリティ侵害が発生している"))
    question = with_buttons(member.press(question, "Word"))
    mark = member.press(question, question.buttons[0]["text"])
    member.reply(mark, lambda c: "【今すぐやること】" in c.text)
    # the leaf's short reply has its own buttons (checklist, contacts); the report offer comes next
    offer = member.reply(mark, lambda c: "インシデント報告を作成しますか" in c.text)
    member.reply(member.press(offer, "はい"), lambda c: "何が起きているか" in c.text)  # own words asked
    question = with_buttons(member.send("Wordの添付を開いたらマクロの警告が出た"))
    question = with_buttons(member.press(question, "業務が止まっている"))
    member.reply(member.press(question, "広がっていない"), lambda c: "INC-2026-0001" in c.text)


def test_serve_telegram_delivers_an_escalation_a_reminder_and_a_broadcast(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, run_cli: Any, content: Content,
) -> None:
    bot = TelegramBot(telegram_api, database_url, tmp_path, env=FAST)
    try:
        bot.wait_until_polling()
        lead = register_on_telegram(telegram_api, run_cli, 1111111, "lead")
        member = register_on_telegram(telegram_api, run_cli, 3333333, "member")
        visit_soon(run_cli)
        broadcast(run_cli)
        file_telegram_incident(member)

        def sent_to_lead(needle: str) -> list[Any]:
            return [c for c in telegram_api.since(0, "sendMessage", lead.user_id) if c.status == 200 and needle in c.text]

        reminder = reminder_text(content)
        for needle, timeout in ((BROADCAST, 30), ("INC-2026-0001", 30), (reminder, 120)):
            bot.wait_for(lambda n=needle: sent_to_lead(n) or None, timeout, needle)
        for needle in (BROADCAST, "INC-2026-0001", reminder):
            assert len(sent_to_lead(needle)) == 1
    finally:
        assert bot.stop() == 0, bot.output


# --- helpdesk scheduler run


def test_scheduler_run_delivers_to_slack_with_the_bot_token(
    slack_api: FakeSlackAPI, database_url: str, tmp_path: Path, run_cli: Any,
) -> None:
    bot = SlackBot(slack_api, database_url, tmp_path, env=FAST).wait_until_listening()
    lead = SlackPerson("U0LEAD0003", "lead")
    try:
        slack_register(bot, slack_api, lead, last_line(run_cli("company", "add", COMPANY, "--course", "csirt")),
                       bot.send)
    finally:
        assert bot.stop() == 0, bot.output
    broadcast(run_cli)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "TELEGRAM_"))}
    env.update(FAST, HELPDESK_DATABASE_URL=database_url, HELPDESK_SLACK_API_URL=slack_api.base_url, SLACK_BOT_TOKEN=BOT_TOKEN)
    worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "scheduler", "run"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8")
    try:
        (post,) = slack_api.wait_for(lambda: slack_posts_to(slack_api, lead, BROADCAST) or None, what="the broadcast")
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert post.token == BOT_TOKEN


def test_serve_slack_says_once_that_its_token_was_revoked_and_keeps_the_rest(
    slack_api: FakeSlackAPI, database_url: str, tmp_path: Path, run_cli: Any,
) -> None:
    bot = SlackBot(slack_api, database_url, tmp_path, env=FAST).wait_until_listening()
    try:
        lead, member = SlackPerson("U0LEAD0004", "lead"), SlackPerson("U0MEMB0004", "member")
        slack_register(bot, slack_api, lead, last_line(run_cli("company", "add", COMPANY, "--course", "csirt")), bot.send)
        slack_register(bot, slack_api, member, last_line(run_cli("invite", COMPANY, "--role", "member")), bot.send)
        slack_api.token = "xoxb-rotated"  # someone reinstalled the app: the bot's token is revoked
        mark = slack_api.mark()
        broadcast(run_cli)
        bot.wait_for(lambda: "delivery on slack stopped" in bot.output or None, what="the ERROR line")
        tried = len(slack_api.since(mark, "chat.postMessage"))
        broadcast(run_cli)  # a second notice: it waits
        time.sleep(20 * float(FAST["HELPDESK_DELIVERY_POLL_SECONDS"]))  # twenty polls
        assert len(slack_api.since(mark, "chat.postMessage")) == tried  # nothing tried after the stop
        first = run_cli("notice", "status", "1").stdout.splitlines()
        second = run_cli("notice", "status", "2").stdout.splitlines()
        assert bot.alive()
    finally:
        assert bot.stop() == 0, bot.output
    failed = [line for line in first if line.startswith("failed: ")]
    assert 1 <= len(failed) == tried
    assert all(line.endswith("slack: the bot token was refused (invalid_auth)") for line in failed)
    assert f"sent 0  pending {2 - tried}  failed {tried}" in first[1]
    assert "sent 0  pending 2  failed 0" in second[1]
    errors = [line for line in bot.output.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "delivery on slack stopped" in errors[0], bot.output
    assert BOT_TOKEN not in bot.output
