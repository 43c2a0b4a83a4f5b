"""`helpdesk doctor` in a child process against the stand-in Slack and Telegram APIs: good tokens
(exit 0), wrong tokens (exit 1, named, never printed), a database behind the migrations' head, the
scheduler lock's holder, a late backlog and failed outbox rows (exit 1, counted by reason), and a
webhook secret to use when the configured one is unfit."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import async_url
from bot.engine.messages import Outbound
from bot.runtime.core import Runtime
from bot.platforms.base import Undeliverable
from bot.store.db import head_revision, make_engine, upgrade
from bot.store.models import utcnow
from bot.store.outbox import Recipient, enqueue
from scheduler.delivery import deliver_due
from scheduler.locks import FileLock, background_lock_path
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlackAPI, slack_api
from tests.fakes.telegram_api import FakeTelegramAPI, telegram_api

__all__ = ["slack_api", "telegram_api"]  # the fixtures, used by name

GOOD_SECRET = "A" * 16 + "b_-9" * 5  # 36 of Telegram's characters
ALLOWED = re.compile(r"HELPDESK_TELEGRAM_WEBHOOK_SECRET=([A-Za-z0-9_-]+)$")


def platforms(slack: FakeSlackAPI, telegram: FakeTelegramAPI, **overrides: str) -> dict[str, str]:
    return {
        "HELPDESK_SLACK_API_URL": slack.base_url, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "", "HELPDESK_TELEGRAM_API_URL": telegram.base_url, "TELEGRAM_BOT_TOKEN": telegram.token,
        "HELPDESK_TELEGRAM_WEBHOOK_SECRET": GOOD_SECRET, **overrides,
    }


def findings(result: Any) -> list[str]:
    assert result.stderr == "", result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_good_tokens_and_a_fresh_database_are_all_ok(
    slack_api: FakeSlackAPI, telegram_api: FakeTelegramAPI, run_cli: Any,
) -> None:
    result = run_cli("doctor", env=platforms(slack_api, telegram_api))
    lines = findings(result)
    assert result.returncode == 0, result.stdout
    assert all(line.startswith("ok: ") for line in lines)
    assert any("slack: SLACK_BOT_TOKEN accepted" in line for line in lines)
    assert any("telegram: TELEGRAM_BOT_TOKEN accepted (@" in line for line in lines)
    assert "ok: telegram: no webhook set (long polling)" in lines
    assert any(line.startswith("ok: database: at head") for line in lines)
    assert [c.method for c in slack_api.calls] == ["auth.test"]
    assert {c.method for c in telegram_api.calls} == {"getMe", "getWebhookInfo"}  # nothing sent to anyone


def test_wrong_tokens_are_named_and_never_printed(
    slack_api: FakeSlackAPI, telegram_api: FakeTelegramAPI, run_cli: Any,
) -> None:
    wrong_slack, wrong_telegram = "xoxb-9999-wrong-token", "987654:WRONGTOKEN"
    result = run_cli("doctor", env=platforms(slack_api, telegram_api, SLACK_BOT_TOKEN=wrong_slack, TELEGRAM_BOT_TOKEN=wrong_telegram))
    lines = findings(result)
    assert result.returncode == 1
    assert f"problem: slack: {slack_api.base_url} refused SLACK_BOT_TOKEN (invalid_auth)" in lines
    assert "problem: telegram: the Bot API refused TELEGRAM_BOT_TOKEN (401 Unauthorized)" in lines
    everything = result.stdout + result.stderr
    assert wrong_slack not in everything and "WRONGTOKEN" not in everything and "<redacted>" not in everything


def test_an_unfit_webhook_secret_gets_one_to_use(
    slack_api: FakeSlackAPI, telegram_api: FakeTelegramAPI, run_cli: Any,
) -> None:
    suggestions = []
    for secret, code in (("too-short", 1), ("", 0), ("ä" * 40, 1)):
        result = run_cli("doctor", env=platforms(slack_api, telegram_api, HELPDESK_TELEGRAM_WEBHOOK_SECRET=secret))
        (line,) = [line for line in findings(result) if "HELPDESK_TELEGRAM_WEBHOOK_SECRET" in line]
        assert result.returncode == code, result.stdout
        suggested = ALLOWED.search(line)
        assert suggested is not None and len(suggested.group(1)) >= 32, line
        suggestions.append(suggested.group(1))
        if secret:
            assert secret not in result.stdout
    assert len(set(suggestions)) == 3  # made fresh each time
    fit = findings(run_cli("doctor", env=platforms(slack_api, telegram_api)))
    assert "ok: telegram: HELPDESK_TELEGRAM_WEBHOOK_SECRET is fit for a webhook" in fit


def test_a_database_behind_the_head_is_a_problem(tmp_path: Path, run_cli: Any) -> None:
    older = tmp_path / "older.db"

    async def migrate_to_0004() -> None:
        engine = make_engine(async_url(f"sqlite:///{older}"))
        await upgrade(engine, "0004")
        await engine.dispose()

    import asyncio

    asyncio.run(migrate_to_0004())
    result = run_cli("doctor", env={"HELPDESK_DATABASE_URL": f"sqlite:///{older}", "SLACK_BOT_TOKEN": "", "TELEGRAM_BOT_TOKEN": ""})
    assert result.returncode == 1
    head = head_revision()
    assert head is not None and head != "0004"
    assert f"problem: database: at revision 0004, the code's head is {head}; run `helpdesk db upgrade`" in findings(result)
    missing = run_cli("doctor", env={"HELPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"})
    assert missing.returncode == 1 and "does not exist; run `helpdesk db upgrade`" in missing.stdout
    assert not (tmp_path / "none.db").exists()  # the doctor creates nothing


async def test_failed_rows_and_a_late_backlog_are_problems(
    runtime: Runtime, database_url: str, slack_api: FakeSlackAPI, telegram_api: FakeTelegramAPI, run_cli: Any,
) -> None:
    now = utcnow()
    async with runtime.sessions.begin() as session:
        await enqueue(session, kind="broadcast", ref="n1", now=now, recipients=[Recipient("console", c) for c in ("a", "b", "c")],
                      render=lambda lang: Outbound("お知らせ", kind="notice"))
        await enqueue(session, kind="broadcast", ref="n2", now=now - timedelta(hours=1),
                      recipients=[Recipient("telegram", c) for c in ("1001", "1002")],
                      render=lambda lang: Outbound("お知らせ", kind="notice"), send_at=now - timedelta(hours=1))

    class Refuses:
        platform = "console"

        async def send(self, chat_id: str, message: Outbound) -> str | None:
            if chat_id == "c":
                return "m1"
            raise Undeliverable("console: nobody there")

    stats = await deliver_due(runtime.sessions, Refuses())
    assert (stats.sent, stats.failed) == (1, 2)
    result = run_cli("doctor", env=platforms(slack_api, telegram_api))
    lines = findings(result)
    assert result.returncode == 1
    assert "problem: outbox: 2 failed in the last 24 h on console: console: nobody there" in lines
    (late,) = [line for line in lines if "waiting for telegram" in line]
    assert late.startswith("problem: outbox: 2 waiting for telegram, the oldest due 60 min ago")
    unconfigured = run_cli("doctor", env=platforms(slack_api, telegram_api, TELEGRAM_BOT_TOKEN=""))
    (line,) = [line for line in findings(unconfigured) if "waiting for telegram" in line]
    assert "problem:" in line


@pytest.mark.skipif(os.name != "posix", reason="the SQLite lock is an flock")
async def test_the_scheduler_locks_holder_is_named(runtime: Runtime, database_url: str, run_cli: Any) -> None:
    env = {"SLACK_BOT_TOKEN": "", "TELEGRAM_BOT_TOKEN": ""}
    free = findings(run_cli("doctor", env=env))
    assert any(line.startswith("ok: scheduler lock: free") for line in free)
    url = async_url(database_url)
    if url.get_backend_name() == "sqlite":
        lock = FileLock(background_lock_path(url))
    else:
        from scheduler.locks import SCHEDULER, AdvisoryLock

        lock = AdvisoryLock(runtime.sessions.kw["bind"], *SCHEDULER)  # type: ignore[assignment]
    assert await lock.acquire()
    try:
        held = findings(run_cli("doctor", env=env))
    finally:
        await lock.release()
    (line,) = [line for line in held if "scheduler lock" in line]
    expected = f"process {os.getpid()} on this machine" if url.get_backend_name() == "sqlite" else "PostgreSQL session "
    assert line.startswith("ok: scheduler lock: held by ") and expected in line, line
