"""`helpdesk serve telegram --webhook-url URL --port P`: the secret token is checked on every request;
a request without it, or with a wrong one, is refused and changes nothing."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import async_url
from bot.store.db import make_engine, session_factory
from bot.store.models import Person, ProcessedEvent
from tests.fakes.telegram_api import BotProcess, FakeTelegramAPI, TelegramUser, telegram_api

pytestmark = pytest.mark.slow
__all__ = ["telegram_api"]  # the fixture, used by name

SECRET = "s3cret-Token_for-tests_0123456789abcdef"  # 39: the bot wants 32 or more


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post(url: str, update: dict[str, Any], secret: str | None) -> int:
    """POST an update as Telegram does; returns the HTTP status."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, data=json.dumps(update).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


async def _counts(database_url: str) -> tuple[int, int]:
    engine = make_engine(async_url(database_url))
    try:
        async with session_factory(engine)() as session:
            people = await session.scalar(select(func.count()).select_from(Person))
            events = await session.scalar(select(func.count()).select_from(ProcessedEvent))
            return int(people or 0), int(events or 0)
    finally:
        await engine.dispose()


def test_the_webhook_refuses_a_missing_or_wrong_secret_and_answers_the_right_one_once(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, run_cli: Any
) -> None:
    added = run_cli("company", "add", "株式会社サンプル", "--course", "csirt")
    code = added.stdout.strip().splitlines()[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/updates"
    bot = BotProcess(
        telegram_api, database_url, tmp_path, "--webhook-url", url, "--port", str(port),
        env={"HELPDESK_TELEGRAM_WEBHOOK_SECRET": SECRET},
    )
    bot.wait_for(lambda: "is running (webhook" in bot.output, what="the webhook server")
    registered = telegram_api.since(0, "setWebhook")
    assert [(c.params["url"], c.params["secret_token"]) for c in registered] == [(url, SECRET)]
    user = TelegramUser(telegram_api)
    start = user.text_update(f"/start {code}")
    mark = telegram_api.mark()

    assert post(url, start, None) == 403
    assert post(url, start, "wrong-secret") == 403
    assert post(url, start, SECRET.upper()) == 403
    assert asyncio.run(_counts(database_url)) == (0, 0)  # nobody created, no update claimed
    assert not telegram_api.since(mark, "sendMessage")

    assert post(url, start, SECRET) == 200
    joined = user.reply(mark, lambda c: "登録しました" in c.text)
    assert "株式会社サンプル" in joined.text
    assert post(url, start, SECRET) == 200  # Telegram delivering it again (e.g. after a slow answer)
    later = telegram_api.mark()
    assert post(url, user.text_update("/help"), SECRET) == 200
    user.reply(later, lambda c: "/hearing" in c.text)  # updates are handled in order: the repeat is done

    texts = [c.text for c in user.answers(mark)]
    assert sum("登録しました" in t for t in texts) == 1 and not [t for t in texts if "すでに" in t]
    assert bot.stop() == 0
    assert SECRET not in bot.output and telegram_api.token not in bot.output


def test_a_webhook_without_a_secret_does_not_start(
    telegram_api: FakeTelegramAPI, run_cli: Any
) -> None:
    result = run_cli(
        "serve", "telegram", "--webhook-url", "https://bot.example.org/telegram", "--port", str(free_port()),
        env={"TELEGRAM_BOT_TOKEN": telegram_api.token, "HELPDESK_TELEGRAM_API_URL": telegram_api.base_url,
             "HELPDESK_TELEGRAM_WEBHOOK_SECRET": ""},
    )
    assert result.returncode == 2
    assert "HELPDESK_TELEGRAM_WEBHOOK_SECRET" in result.stderr
    assert not telegram_api.since(0, "setWebhook")


@pytest.mark.parametrize("secret", [
    "a" * 31,                      # Telegram takes it; too short to be the only lock on the door
    "s3cret token with spaces and more than 32",
    "s3cret-Token_for-tests_0123456789ab=",  # '=' (base64's padding) is not in Telegram's set
    "秘密" * 20,
])
def test_a_weak_or_unusable_webhook_secret_does_not_start(
    telegram_api: FakeTelegramAPI, run_cli: Any, secret: str
) -> None:
    result = run_cli(
        "serve", "telegram", "--webhook-url", "https://bot.example.org/telegram", "--port", str(free_port()),
        env={"TELEGRAM_BOT_TOKEN": telegram_api.token, "HELPDESK_TELEGRAM_API_URL": telegram_api.base_url,
             "HELPDESK_TELEGRAM_WEBHOOK_SECRET": secret},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [(
        "error: HELPDESK_TELEGRAM_WEBHOOK_SECRET must be 32 to 256 characters of A-Z, a-z, 0-9, _ and - "
        "(run `helpdesk doctor` for one, or: openssl rand -hex 32)"
    )]
    assert secret not in result.stderr
    assert not telegram_api.since(0, "setWebhook")
