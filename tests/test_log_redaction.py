"""bot/logs.py in this process: the levels it leaves each logger at, and the filter that takes every
configured secret out of whatever a handler still writes."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.logs import Redact, configure_logging, secrets_of

TELEGRAM = "123456:AAtelegram-token"
SLACK = "xoxb-1-slack-token"
SIGNING = "signing-secret-0123"


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM)
    monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING)
    monkeypatch.setenv("HELPDESK_LOG_LEVEL", "DEBUG")
    return Settings()


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """The root logger with one handler of our own, put back as it was afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    names = ("bot", "scheduler", "httpx", "httpcore", "telegram")
    levels = {name: logging.getLogger(name).level for name in names}
    stream = io.StringIO()
    root.handlers = [logging.StreamHandler(stream)]
    yield stream
    root.handlers, root.level = saved
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_every_secret_of_the_settings_is_known(settings: Settings) -> None:
    assert {TELEGRAM, SLACK, SIGNING} <= set(secrets_of(settings))


def test_debug_is_for_our_own_loggers_and_urls_stay_out(settings: Settings, written: io.StringIO) -> None:
    configure_logging(settings)
    logging.getLogger("bot.platforms.x").debug("ours at debug")
    logging.getLogger("scheduler.worker").debug("the scheduler's at debug")
    logging.getLogger("telegram.ext.ExtBot").debug("a call with its parameters")
    logging.getLogger("httpx").info("HTTP Request: POST http://127.0.0.1/bot%s/getMe", TELEGRAM)
    lines = written.getvalue().splitlines()
    assert lines == ["ours at debug", "the scheduler's at debug"]


def test_a_secret_that_gets_through_is_replaced(settings: Settings, written: io.StringIO) -> None:
    configure_logging(settings)
    configure_logging(settings)  # a second call replaces the filter, it does not add one
    for handler in logging.getLogger().handlers:
        assert sum(isinstance(f, Redact) for f in handler.filters) == 1
    log = logging.getLogger("telegram.ext.Updater")
    log.warning("getUpdates failed at http://127.0.0.1/bot%s/getUpdates", TELEGRAM)
    try:
        raise RuntimeError(f"refused: Bearer {SLACK} / {SIGNING}")
    except RuntimeError:
        log.exception("call failed")
    text = written.getvalue()
    assert TELEGRAM not in text and SLACK not in text and SIGNING not in text
    assert "bot***/getUpdates" in text and "Bearer *** / ***" in text
