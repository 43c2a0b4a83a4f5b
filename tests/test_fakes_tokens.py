"""The stand-in APIs refuse every Web API method without the right bot token, as the real ones do
(Slack: HTTP 200 with ok false, not_authed or invalid_auth; Telegram: 401 Unauthorized), even when a
test has planned a failure for the method: a token-less client can pass no test."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlackAPI, slack_api
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI, telegram_api

__all__ = ["slack_api", "telegram_api"]  # the fixtures, used by name

SLACK_METHODS = [
    "auth.test", "chat.postMessage", "chat.update", "views.publish", "views.open", "views.update",
    "users.info", "conversations.open", "apps.connections.open", "files.upload", "files.getUploadURLExternal",
    "files.completeUploadExternal",
]
TELEGRAM_METHODS = [
    "getMe", "getUpdates", "sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery",
    "setWebhook", "deleteWebhook", "getWebhookInfo", "setMyCommands", "deleteMyCommands", "sendDocument",
]


def post(url: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("method", SLACK_METHODS)
def test_slack_refuses_every_method_without_the_bot_token(slack_api: FakeSlackAPI, method: str) -> None:
    slack_api.fail(method, 500, times=3)  # planned failures do not let a token-less call through
    fields = {"channel": "U0LAN0Z89", "text": "x", "user": "U0LAN0Z89", "users": "U0LAN0Z89"}
    url = slack_api.base_url + method
    assert post(url, fields) == (200, {"ok": False, "error": "not_authed"})
    assert post(url, fields, {"Authorization": "Bearer xoxb-wrong"}) == (200, {"ok": False, "error": "invalid_auth"})
    assert post(url, {**fields, "token": "xoxb-wrong"}) == (200, {"ok": False, "error": "invalid_auth"})
    other = BOT_TOKEN if method == "apps.connections.open" else APP_TOKEN  # the other token is no better
    assert post(url, fields, {"Authorization": f"Bearer {other}"}) == (200, {"ok": False, "error": "invalid_auth"})
    assert not any(c.ok for c in slack_api.calls)


def test_slack_answers_with_the_right_token(slack_api: FakeSlackAPI) -> None:
    status, body = post(slack_api.base_url + "auth.test", {}, {"Authorization": f"Bearer {BOT_TOKEN}"})
    assert status == 200 and body["ok"] is True


@pytest.mark.parametrize("method", TELEGRAM_METHODS)
def test_telegram_refuses_every_method_with_a_wrong_token(telegram_api: FakeTelegramAPI, method: str) -> None:
    telegram_api.fail(method, 500, times=3)
    fields = {"chat_id": "1111111", "text": "x", "message_id": "1", "url": "https://example.org/hook"}
    for wrong in ("999:WRONG", TOKEN + "x", TOKEN.split(":")[0]):
        url = f"http://127.0.0.1:{telegram_api.port}/bot{wrong}/{method}"
        assert post(url, fields) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    assert telegram_api.calls == []  # nothing was served or recorded


def test_telegram_answers_with_the_right_token(telegram_api: FakeTelegramAPI) -> None:
    status, body = post(f"{telegram_api.base_url}{TOKEN}/getMe", {})
    assert status == 200 and body["ok"] is True
