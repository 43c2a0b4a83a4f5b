"""`helpdesk doctor`: is this installation fit to run? One line per finding, "ok" or "problem", and
exit 1 when any is a problem. Read-only: it migrates nothing and sends no message.

It checks the settings load, each configured token against its platform (bot/platforms/*/checks.py,
so this module imports no platform library), the Telegram webhook and its secret, the database at
Alembic's head, who holds the scheduler lock, the outbox backlog and the failures of the last 24 h.
No token is ever printed: every line is cleaned of the configured secrets before it is shown.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli.common import run

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.config import Settings
    from bot.platforms.base import Finding

# A notice due longer ago than this and still waiting means nobody delivers it.
LATE = timedelta(minutes=15)
REDACTED = "<redacted>"


def doctor() -> None:
    """Check settings, tokens, webhook, database, scheduler lock and outbox; exit 1 on any problem."""
    findings = run(_examine)
    for finding in findings:
        typer.echo(f"{'ok' if finding.ok else 'problem'}: {finding.what}")
    if not all(f.ok for f in findings):
        raise typer.Exit(1)


async def _examine() -> list[Finding]:
    from pydantic import ValidationError

    from bot.config import Settings, SettingsError
    from bot.platforms.base import Finding

    try:
        settings = Settings()
    except (ValidationError, SettingsError) as exc:
        return [Finding(False, f"settings do not load: {_first_error(exc)}")]
    findings = [Finding(True, f"settings load (database {settings.db_url.render_as_string(hide_password=True)})")]
    findings += _content(settings)
    findings += await _platforms(settings)
    findings += await _database(settings)
    secrets = [s.get_secret_value() for s in (
        settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret,
        settings.telegram_bot_token, settings.telegram_webhook_secret,
    ) if s is not None and s.get_secret_value()]
    return [Finding(f.ok, _clean(f.what, secrets)) for f in findings]


def _first_error(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
    return str(exc)


def _clean(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _content(settings: Settings) -> list[Finding]:
    from bot.content.loader import check_content
    from bot.platforms.base import Finding

    issues = check_content(settings.content_dir)
    if issues:
        return [Finding(False, f"content: {len(issues)} problem(s) in {settings.content_dir}; run `helpdesk content check`")]
    return [Finding(True, "content valid")]


async def _platforms(settings: Settings) -> list[Finding]:
    from bot.platforms.base import Finding

    findings: list[Finding] = []
    if settings.slack_bot_token is not None:
        from bot.platforms.slack.checks import slack_findings

        findings += await slack_findings(settings)
    else:
        findings.append(Finding(True, "slack: not configured (SLACK_BOT_TOKEN unset)"))
    if settings.telegram_bot_token is not None:
        from bot.platforms.telegram.checks import telegram_findings

        findings += await telegram_findings(settings)
    else:
        findings.append(Finding(True, "telegram: not configured (TELEGRAM_BOT_TOKEN unset)"))
        if settings.telegram_webhook_secret is not None:
            from bot.platforms.telegram.checks import secret_finding

            findings.append(secret_finding(settings, webhook_set=False))
    return findings


async def _database(settings: Settings) -> list[Finding]:
    from sqlalchemy.exc import DBAPIError

    from bot.platforms.base import Finding
    from bot.store.db import current_revision, head_revision, make_engine

    url = settings.db_url
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).expanduser().exists():
        return [Finding(False, f"database: {url.database} does not exist; run `helpdesk db upgrade`")]
    engine = make_engine(url)
    try:
        try:
            revision = await current_revision(engine)
        except DBAPIError as exc:
            return [Finding(False, f"database: cannot connect ({_db_error(exc)})")]
        head = head_revision()
        if revision != head:
            return [Finding(False, f"database: at revision {revision or 'none'}, the code's head is {head}; run `helpdesk db upgrade`")]
        findings = [Finding(True, f"database: at head ({head})")]
        findings += await _scheduler_lock(engine)
        findings += await _outbox(engine, settings)
        return findings
    finally:
        await engine.dispose()


def _db_error(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig).strip().splitlines()[0] if orig else type(exc).__name__


async def _scheduler_lock(engine: AsyncEngine) -> list[Finding]:
    from bot.platforms.base import Finding
    from scheduler.locks import scheduler_holder

    holder = await scheduler_holder(engine)
    if holder is None:
        return [Finding(True, "scheduler lock: free (no process runs the scheduler now; `helpdesk serve …` or `helpdesk scheduler run` takes it)")]
    return [Finding(True, f"scheduler lock: held by {holder}")]


async def _outbox(engine: AsyncEngine, settings: Settings) -> list[Finding]:
    from bot.platforms.base import Finding
    from bot.store.db import session_factory
    from bot.store.models import utcnow
    from scheduler.backlog import failures, waiting

    now = utcnow()
    async with session_factory(engine)() as session:
        backlog = await waiting(session, now)
        failed = await failures(session, now)
    configured = {"slack": settings.slack_bot_token is not None, "telegram": settings.telegram_bot_token is not None}
    findings = []
    for line in backlog:
        findings.append(_waiting(line.platform, line.rows, line.oldest_due, now, configured.get(line.platform, True)))
    if not backlog:
        findings.append(Finding(True, "outbox: nothing waiting"))
    for failure in failed:
        findings.append(Finding(False, f"outbox: {failure.rows} failed in the last 24 h on {failure.platform}: {failure.reason}"))
    if not failed:
        findings.append(Finding(True, "outbox: no failures in the last 24 h"))
    return findings


def _waiting(platform: str, rows: int, oldest_due: datetime | None, now: datetime, configured: bool) -> Finding:
    from bot.platforms.base import Finding

    age = now - oldest_due if oldest_due is not None else None
    late = f", the oldest due {_duration(age)} ago" if age is not None else ", none due yet"
    what = f"outbox: {rows} waiting for {platform}{late}"
    if not configured:
        return Finding(False, f"{what}; its token is not set here, so this process would not deliver them")
    if age is not None and age > LATE:
        return Finding(False, f"{what}; is a process delivering (`helpdesk serve {platform}` or `helpdesk scheduler run`)?")
    return Finding(True, what)


def _duration(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
