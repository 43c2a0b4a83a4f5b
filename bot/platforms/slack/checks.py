"""What `helpdesk doctor` asks Slack: is SLACK_BOT_TOKEN accepted (auth.test at HELPDESK_SLACK_API_URL),
and, for Socket Mode, SLACK_APP_TOKEN (apps.connections.open: it hands out a WebSocket URL and
opens nothing). The CLI stays free of slack_sdk: it calls `slack_findings`."""

from __future__ import annotations

from collections.abc import Awaitable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.config import Settings, SettingsError
from bot.platforms.base import Finding
from bot.platforms.slack.sender import api_base
from bot.platforms.slack.server import credentials

TIMEOUT = 10  # seconds per call: a doctor that hangs helps nobody


async def slack_findings(settings: Settings) -> list[Finding]:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    if not token:
        return [Finding(False, "slack: SLACK_BOT_TOKEN is empty")]
    base = api_base(settings.slack_api_url)
    async with aiohttp.ClientSession() as http:
        client = AsyncWebClient(token=token, base_url=base, session=http, timeout=TIMEOUT)
        findings = [await _ask(client.auth_test(), base, "SLACK_BOT_TOKEN")]
        try:
            secrets = credentials(settings)
        except SettingsError as exc:
            return [*findings, Finding(False, f"slack: {exc}")]
        if secrets.app_token is None:
            return [*findings, Finding(True, "slack: HTTP mode (SLACK_SIGNING_SECRET set, no SLACK_APP_TOKEN)")]
        findings.append(await _ask(client.apps_connections_open(app_token=secrets.app_token), base, "SLACK_APP_TOKEN"))
    return findings


async def _ask(call: Awaitable[AsyncSlackResponse], base: str, name: str) -> Finding:
    try:
        answer = await call
    except SlackApiError as exc:
        return Finding(False, f"slack: {base} refused {name} ({_error(exc)})")
    except (TimeoutError, aiohttp.ClientError) as exc:
        return Finding(False, f"slack: cannot reach the Web API at {base} ({type(exc).__name__})")
    if answer.get("user"):
        return Finding(True, f"slack: {name} accepted at {base} (bot {answer.get('user')} in {answer.get('team')})")
    return Finding(True, f"slack: {name} accepted at {base} (Socket Mode)")


def _error(exc: SlackApiError) -> object:
    data = exc.response.data
    return data.get("error") if isinstance(data, dict) else f"HTTP {exc.response.status_code}"
