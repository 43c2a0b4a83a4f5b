"""Plain `helpdesk` prints the list of commands; the console bot is `helpdesk console`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_plain_helpdesk_prints_the_commands_and_opens_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "HELPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'helpdesk.db'}", "COLUMNS": "100"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli"], input="", capture_output=True, text=True, encoding="utf-8",
        env=env, cwd=tmp_path, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    for command in ("console", "serve", "scheduler", "secretariat", "company"):
        assert f" {command} " in result.stdout, result.stdout
    assert not (tmp_path / "helpdesk.db").exists()  # no console was started, no database opened
