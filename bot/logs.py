"""Logging for the long-running commands (`serve slack`, `serve telegram`, `scheduler run`): never a
token or a secret, never what people typed, at any level.

- httpx (under python-telegram-bot) logs every request URL at INFO, and the Telegram token is part of
  every Bot API URL (…/bot<token>/getMe): the HTTP clients stay at WARNING.
- At DEBUG, slack_sdk logs every request and response body, python-telegram-bot every update and
  every call with its parameters, aiosqlite every statement with its values: people's messages and
  the bot's answers to them. So DEBUG applies to the project's own loggers only; every library stays
  at INFO or above.
- A filter on every handler replaces each configured secret with "***" in whatever still gets
  through (an exception's text can carry a URL).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pydantic import SecretStr

from bot.config import Settings

REDACTED = "***"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OWN = ("bot", "scheduler")  # the project's packages: their DEBUG lines carry ids and counts, not text
URL_LOGGERS = ("httpx", "httpcore")


class Redact(logging.Filter):
    """Replaces secrets in the message and in the traceback text of every record a handler emits."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)  # a longer one first

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def secrets_of(settings: Settings) -> list[str]:
    """Every secret the settings hold (tokens, signing secret, webhook secret): the SecretStr fields."""
    values = (getattr(settings, name) for name in type(settings).model_fields)
    return [value.get_secret_value() for value in values if isinstance(value, SecretStr)]


def level_of(name: str) -> int:
    level = logging.getLevelName(name.upper())
    return level if isinstance(level, int) else logging.WARNING


def configure_logging(settings: Settings) -> None:
    """Called once by each long-running command before it starts a platform client; calling it again
    (a test running two commands in one process) replaces the filter rather than adding a second."""
    wanted = level_of(settings.log_level)
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format=FORMAT)
    root.setLevel(max(wanted, logging.INFO))
    for name in OWN:
        logging.getLogger(name).setLevel(wanted)
    for name in URL_LOGGERS:
        logging.getLogger(name).setLevel(max(wanted, logging.WARNING))
    redact = Redact(secrets_of(settings))
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, Redact)]:
            handler.removeFilter(old)
        handler.addFilter(redact)
