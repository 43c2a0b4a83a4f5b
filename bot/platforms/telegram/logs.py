"""Logging for the Telegram server: never the bot token, the webhook secret, or what people typed.

The token is part of every Bot API URL (https://api.telegram.org/bot<token>/<method>): httpx logs each
request URL at INFO. At DEBUG, python-telegram-bot logs every update and request with its text and
aiosqlite every statement with its parameters, so a DEBUG level applies to the bot's own loggers
only; libraries stay at INFO or above.
"""

from __future__ import annotations

import logging
from typing import Iterable

REDACTED = "<redacted>"
NOISY = ("httpx", "httpcore")  # request URLs, i.e. the token


class Redact(logging.Filter):
    """Replaces secrets in the message and in the traceback text of every record a handler emits."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

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


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    wanted = logging.getLevelName(level.upper())
    wanted = wanted if isinstance(wanted, int) else logging.WARNING
    logging.basicConfig(level=max(wanted, logging.INFO), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("bot").setLevel(wanted)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    redact = Redact(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
