"""What `helpdesk doctor` asks Telegram: is TELEGRAM_BOT_TOKEN accepted (getMe at
HELPDESK_TELEGRAM_API_URL), is a webhook set and is it healthy (getWebhookInfo: Telegram's own
record of it, so no setting is needed to know one is configured), and is
HELPDESK_TELEGRAM_WEBHOOK_SECRET fit to be one. The CLI stays free of telegram: it calls
`telegram_findings`."""

from __future__ import annotations

import re
import secrets

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.config import Settings
from bot.platforms.base import Finding

# Telegram's characters for the secret_token of setWebhook, and at least 32 of them: a secret short
# enough to guess would let anybody post updates as Telegram.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{32,256}")


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)  # 43 characters of A-Z a-z 0-9 _ -


async def telegram_findings(settings: Settings) -> list[Finding]:
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    if not token:
        return [Finding(False, "telegram: TELEGRAM_BOT_TOKEN is empty")]
    bot = Bot(token, base_url=settings.telegram_api_url)
    findings = []
    webhook = ""
    try:
        async with bot:  # initialize() asks getMe
            findings.append(Finding(True, f"telegram: TELEGRAM_BOT_TOKEN accepted (@{bot.username})"))
            info = await bot.get_webhook_info()
            webhook = info.url or ""
            findings.append(_webhook(info.url, info.pending_update_count, info.last_error_message))
    except InvalidToken:  # its message, from initialize(), quotes the token: not shown
        findings.append(Finding(False, "telegram: the Bot API refused TELEGRAM_BOT_TOKEN (401 Unauthorized)"))
    except TelegramError as exc:  # NetworkError, TimedOut, 5xx
        findings.append(Finding(False, f"telegram: the Bot API did not answer ({type(exc).__name__}: {exc.message})"))
    findings.append(secret_finding(settings, webhook_set=bool(webhook)))
    return findings


def _webhook(url: str | None, pending: int | None, last_error: str | None) -> Finding:
    if not url:
        return Finding(True, "telegram: no webhook set (long polling)")
    if last_error:
        return Finding(False, f"telegram: webhook {url}: Telegram's last delivery failed ({last_error}); {pending or 0} update(s) waiting")
    return Finding(True, f"telegram: webhook {url} ({pending or 0} update(s) waiting)")


def secret_finding(settings: Settings, *, webhook_set: bool) -> Finding:
    secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else ""
    if WEBHOOK_SECRET.fullmatch(secret):
        return Finding(True, "telegram: HELPDESK_TELEGRAM_WEBHOOK_SECRET is fit for a webhook")
    suggestion = f"one to use: HELPDESK_TELEGRAM_WEBHOOK_SECRET={new_webhook_secret()}"
    if not secret:
        needed = "a webhook is set, and" if webhook_set else "only --webhook-url needs it, but"
        return Finding(not webhook_set, f"telegram: HELPDESK_TELEGRAM_WEBHOOK_SECRET is unset ({needed} it must be 32+ characters of A-Z a-z 0-9 _ -); {suggestion}")
    return Finding(False, f"telegram: HELPDESK_TELEGRAM_WEBHOOK_SECRET is not 32+ characters of A-Z a-z 0-9 _ -; {suggestion}")
