"""Settings from the environment (prefix HELPDESK_), validated once at start-up."""

from __future__ import annotations

import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_content_dir() -> Path:
    # An editable install or a checkout reads the repository's content/; a wheel carries a copy.
    for candidate in (PROJECT_ROOT / "content", Path(__file__).resolve().parent / "_content"):
        if candidate.is_dir():
            return candidate
    return PROJECT_ROOT / "content"


class SettingsError(ValueError):
    """A setting that cannot work; the message is one line meant for the person starting the bot."""


# The async driver each backend is used with; people write the plain scheme.
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}


def _hide_password(raw: str) -> str:
    """user:secret@host -> user:***@host, for a URL too broken for SQLAlchemy to mask it."""
    return re.sub(r"(//[^/@:]*:)[^/]*@", r"\1***@", raw)


def async_url(raw: str) -> URL:
    """Parse a database URL and pick the asyncio driver for it; raise SettingsError when unusable."""
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise SettingsError(
            f"HELPDESK_DATABASE_URL is not a database URL: {_hide_password(raw)!r} "
            "(expected e.g. sqlite:///helpdesk.db or postgresql+psycopg://user@host:5432/db)"
        ) from None
    backend = url.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise SettingsError(
            f"HELPDESK_DATABASE_URL uses {backend!r}; supported: sqlite, postgresql"
        )
    if backend == "postgresql" and url.get_driver_name() not in ("psycopg", "psycopg_async"):
        url = url.set(drivername=_ASYNC_DRIVERS[backend])
    if backend == "sqlite":
        url = url.set(drivername=_ASYNC_DRIVERS[backend])
        if not url.database or url.database == ":memory:":
            raise SettingsError(
                "HELPDESK_DATABASE_URL: an in-memory SQLite database would lose every conversation; "
                "give a file, e.g. sqlite:///helpdesk.db"
            )
    return url


def check_sqlite_path(url: URL) -> None:
    """Fail early, in one line, when the SQLite file cannot be created or written."""
    if url.get_backend_name() != "sqlite" or not url.database:
        return
    path = Path(url.database).expanduser()
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise SettingsError(f"database directory does not exist: {directory}")
    target = path if path.exists() else directory
    if not os.access(target, os.W_OK):
        raise SettingsError(f"database file is not writable: {path}")
    try:  # os.access says yes to root everywhere; SQLite also creates its journal next to the file
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError:
        raise SettingsError(f"database directory is not writable: {directory}") from None


# Telegram allows 1-256 characters of A-Z a-z 0-9 _ - in X-Telegram-Bot-Api-Secret-Token; we ask for
# at least 32, so that the only thing keeping strangers from posting updates cannot be guessed.
WEBHOOK_SECRET_MIN = 32
_WEBHOOK_SECRET = re.compile(rf"[A-Za-z0-9_-]{{{WEBHOOK_SECRET_MIN},256}}")


def check_webhook_secret(secret: str) -> None:
    """Raise SettingsError, in one line naming the rule (never the secret), unless it is usable."""
    if not _WEBHOOK_SECRET.fullmatch(secret):
        raise SettingsError(
            f"HELPDESK_TELEGRAM_WEBHOOK_SECRET must be {WEBHOOK_SECRET_MIN} to 256 characters of A-Z, a-z, "
            "0-9, _ and - (run `helpdesk doctor` for one, or: openssl rand -hex 32)"
        )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore")

    database_url: str = Field(default="sqlite:///helpdesk.db")
    content_dir: Path = Field(default_factory=_default_content_dir)
    timezone: str = "Asia/Tokyo"
    log_level: str = "WARNING"
    # The language of the CLI's own messages (HELPDESK_LANG): Japanese first, as the chat.
    lang: Literal["ja", "en"] = "ja"

    # Platforms. Tokens use the platforms' standard variable names (no HELPDESK_ prefix) and are
    # SecretStr, so they never appear in a log line or a repr.
    slack_api_url: str = "https://slack.com/api/"
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN"))
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN")
    )
    telegram_webhook_secret: SecretStr | None = None

    # Flood control per person (bot/runtime/flood.py): more than flood_limit messages within
    # flood_window_seconds and the person is held for that long. 0 turns it off.
    flood_limit: int = Field(default=20, ge=0)
    flood_window_seconds: float = Field(default=10.0, gt=0)

    # A reply that fails transiently (5xx, network, 429) is tried again for this long, the pauses
    # starting at reply_backoff_seconds and doubling; then it goes to the outbox, to arrive late.
    reply_retry_seconds: float = Field(default=30.0, ge=0)
    reply_backoff_seconds: float = Field(default=0.5, gt=0)

    # Files the bot sends (a /draft document): at most files_max_bytes each, since every one also
    # travels through the outbox as base64 when a platform is slow; the console writes them into
    # files_dir and prints the path.
    files_max_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    files_dir: Path = Path("helpdesk-files")

    # The secretariat's web desk (bot/web): where sign-in links point (behind a proxy, its public
    # https address), and the port `serve slack|telegram` also serves it on when set.
    web_base_url: str | None = None
    web_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("database_url")
    @classmethod
    def _parse_url(cls, value: str) -> str:
        async_url(value)  # raises SettingsError with a clear message
        return value

    @property
    def db_url(self) -> URL:
        return async_url(self.database_url)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
