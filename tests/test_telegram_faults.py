"""Telegram faults, black-box (`helpdesk serve telegram` polling the fake Bot API): flood control,
a failing Bot API, repeated updates, stopping, and what reaches the log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.telegram_api import BotProcess, FakeTelegramAPI, TelegramUser, telegram_api

pytestmark = pytest.mark.slow
__all__ = ["telegram_api"]  # the fixture, used by name


def registered(api: FakeTelegramAPI, run_cli: Any) -> tuple[TelegramUser, str]:
    added = run_cli("company", "add", "株式会社サンプル", "--course", "csirt")
    assert added.returncode == 0, added.stderr
    return TelegramUser(api), added.stdout.strip().splitlines()[-1]


def test_a_429_with_retry_after_on_send_message_is_retried_and_the_message_arrives(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, run_cli: Any
) -> None:
    user, code = registered(telegram_api, run_cli)
    bot = BotProcess(telegram_api, database_url, tmp_path)
    bot.wait_until_polling()
    telegram_api.fail("sendMessage", 429, retry_after=1)

    joined = user.reply(user.send(f"/start {code}"))

    assert "登録しました" in joined.text
    attempts = [c for c in telegram_api.since(0, "sendMessage") if "登録しました" in c.text]
    assert [c.status for c in attempts] == [429, 200]  # refused once, sent again after retry_after
    assert bot.stop() == 0


def test_a_500_and_a_network_fault_while_polling_do_not_stop_the_bot(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, run_cli: Any
) -> None:
    user, code = registered(telegram_api, run_cli)
    bot = BotProcess(telegram_api, database_url, tmp_path)
    bot.wait_until_polling()
    telegram_api.fail("getUpdates", 500)
    telegram_api.fail("getUpdates", 502, description="Bad Gateway")

    def failed() -> list[int]:
        return [c.status for c in telegram_api.since(0, "getUpdates") if c.status != 200]

    bot.wait_for(lambda: failed() == [500, 502], what="both failures served")
    joined = user.reply(user.send(f"/start {code}"))

    assert "登録しました" in joined.text
    assert bot.alive()
    assert "polling continues" in bot.output  # logged as a warning, not a crash
    assert bot.stop() == 0


def test_the_same_update_twice_is_answered_once(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, run_cli: Any
) -> None:
    user, code = registered(telegram_api, run_cli)
    bot = BotProcess(telegram_api, database_url, tmp_path)
    bot.wait_until_polling()
    start = user.text_update(f"/start {code}")
    mark = telegram_api.mark()
    telegram_api.push(start)
    user.reply(mark, lambda c: "登録しました" in c.text)

    telegram_api.redeliver(start)  # as Telegram does when a restart lost the confirmation
    user.reply(user.send("/help"), lambda c: "/hearing" in c.text)  # updates are handled in order

    texts = [c.text for c in user.answers(mark)]
    assert sum("登録しました" in t for t in texts) == 1
    assert not [t for t in texts if "すでに" in t]  # a second handling would say "already registered"
    served = [i for c in telegram_api.since(0, "getUpdates") for i in (c.result or [])]
    assert served.count(start["update_id"]) == 2  # the bot did receive it twice
    assert bot.stop() == 0


def test_sigterm_stops_cleanly_and_the_token_is_never_logged(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, run_cli: Any
) -> None:
    user, code = registered(telegram_api, run_cli)
    bot = BotProcess(telegram_api, database_url, tmp_path, env={"HELPDESK_LOG_LEVEL": "DEBUG"})
    bot.wait_until_polling()
    user.reply(user.send(f"/start {code}"))
    user.reply(user.send("/hearing"), lambda c: "質問 1/" in c.text)
    mark = user.send("秘密の業務システム")  # a typed answer: never logged

    user.reply(mark)
    assert bot.stop() == 0
    assert "running (long polling)" in bot.output
    assert telegram_api.token not in bot.output
    assert "秘密の業務システム" not in bot.output
    assert "DEBUG" in bot.output  # the log level was on: the check above means something


def test_menus_are_registered_in_japanese_english_and_a_default(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(telegram_api, database_url, tmp_path)
    bot.wait_until_polling()
    menus = {
        (c.params.get("language_code"), c.params["scope"]["type"]): [m["command"] for m in c.params["commands"]]
        for c in telegram_api.since(0, "setMyCommands")
    }
    assert bot.stop() == 0
    for language in (None, "ja", "en"):
        assert menus[(language, "default")] == [
            "start", "hearing", "incident", "soudan", "visits", "events", "status", "help", "cancel", "lang"
        ]
        assert menus[(language, "all_group_chats")] == ["link", "unlink", "status", "help"]
    descriptions = {
        c.params.get("language_code"): c.params["commands"][1]["description"]
        for c in telegram_api.since(0, "setMyCommands") if c.params["scope"]["type"] == "default"
    }
    assert descriptions == {None: "ヒアリングシートを始める・続ける", "ja": "ヒアリングシートを始める・続ける",
                            "en": "Start or continue the hearing sheet"}


def test_a_missing_token_or_a_refused_one_is_one_clear_line(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, run_cli: Any
) -> None:
    missing = run_cli("serve", "telegram", env={"TELEGRAM_BOT_TOKEN": "", "HELPDESK_TELEGRAM_API_URL": telegram_api.base_url})
    assert missing.returncode == 2
    assert "error: TELEGRAM_BOT_TOKEN is not set" in missing.stderr

    refused = run_cli("serve", "telegram", env={"TELEGRAM_BOT_TOKEN": "999:WRONG", "HELPDESK_TELEGRAM_API_URL": telegram_api.base_url})
    assert refused.returncode == 2
    assert "refused TELEGRAM_BOT_TOKEN" in refused.stderr
    assert "999:WRONG" not in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr
