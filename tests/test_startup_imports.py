"""The console imports no platform library (start-up speed, and no Slack/Telegram needed offline)."""

from __future__ import annotations

import subprocess
import sys


def test_console_path_imports_no_platform_library() -> None:
    code = (
        "import sys, bot.cli, bot.app, bot.platforms.console, bot.runtime.router\n"
        "heavy = [m for m in ('slack_bolt', 'slack_sdk', 'telegram', 'aiohttp', 'apscheduler', 'openpyxl') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
