"""Settings of the scheduler and the delivery workers, from the environment (prefix HELPDESK_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BackgroundSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore")

    # false: this process never runs the scheduler (it still delivers), e.g. a web-only replica
    scheduler_enabled: bool = True
    # how often the scheduler re-reads visits and events changed by other processes (the CLI)
    scheduler_sync_seconds: float = Field(default=60.0, gt=0)
    # how often a process that is not the scheduler tries to take over (PostgreSQL advisory lock)
    scheduler_takeover_seconds: float = Field(default=10.0, gt=0)
    # how often an idle delivery worker looks for due rows
    delivery_poll_seconds: float = Field(default=1.0, gt=0)
    # a row left "sending" by a worker that vanished without trace is sent again after this long
    delivery_lease_seconds: float = Field(default=120.0, ge=2)
    # platform calls in flight per worker (None: the platform's default in scheduler/limits.py)
    delivery_concurrency: int | None = Field(default=None, ge=1, le=64)
    # overall messages per second, overriding scheduler/limits.py (e.g. a Telegram bot with paid broadcasts)
    telegram_rate: float | None = Field(default=None, gt=0)
    slack_rate: float | None = Field(default=None, gt=0)
