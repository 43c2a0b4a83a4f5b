"""Settings (bot/config.py): the database URL and the SQLite file are checked at start-up, and a
setting that cannot work stops the bot with one line on stderr, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import SettingsError, async_url, check_sqlite_path

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.mark.parametrize(
    ("raw", "rendered"),
    [
        ("sqlite:///helpdesk.db", "sqlite+aiosqlite:///helpdesk.db"),
        ("sqlite:////var/lib/helpdesk/helpdesk.db", "sqlite+aiosqlite:////var/lib/helpdesk/helpdesk.db"),
        ("sqlite+pysqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql+psycopg://u:pw@db.example:5432/helpdesk", "postgresql+psycopg://u:pw@db.example:5432/helpdesk"),
        ("postgresql+psycopg2://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_async_url_picks_the_async_driver(raw: str, rendered: str) -> None:
    assert async_url(raw).render_as_string(hide_password=False) == rendered


@pytest.mark.parametrize("raw", ["postgresql://u@h:5432/db", "postgresql://postgres@127.0.0.1/test"])
def test_plain_postgresql_url_is_served_by_async_psycopg(raw: str) -> None:
    url = async_url(raw)
    assert url.get_backend_name() == "postgresql"
    assert url.get_driver_name() == "psycopg"
    assert (url.host, url.database) == (raw.split("@")[1].split(":")[0].split("/")[0], raw.rsplit("/", 1)[1])
    engine = create_async_engine(url)  # builds the dialect; connects to nothing
    try:
        assert engine.dialect.driver == "psycopg"
        assert engine.dialect.is_async
    finally:
        engine.sync_engine.dispose()


def test_sqlite_url_is_served_by_aiosqlite(tmp_path: Path) -> None:
    engine = create_async_engine(async_url(f"sqlite:///{tmp_path / 'x.db'}"))
    try:
        assert engine.dialect.driver == "aiosqlite"
        assert engine.dialect.is_async
    finally:
        engine.sync_engine.dispose()


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("not a url", "is not a database URL: 'not a url'"),
        ("", "is not a database URL"),
        ("mysql://x/y", "uses 'mysql'; supported: sqlite, postgresql"),
        ("sqlite://", "in-memory SQLite"),
        ("sqlite:///:memory:", "in-memory SQLite"),
        ("postgresql://u@h:notaport/db", "is not a database URL"),
    ],
)
def test_malformed_url_raises_one_line_settings_error(raw: str, says: str) -> None:
    with pytest.raises(SettingsError) as info:
        async_url(raw)
    message = str(info.value)
    assert says in message
    assert message.startswith("HELPDESK_DATABASE_URL")
    assert "\n" not in message


def test_broken_url_error_does_not_print_the_password() -> None:
    with pytest.raises(SettingsError) as info:
        async_url("postgresql://helpdesk:s3cr@t-pw@db.example:54x2/helpdesk")
    message = str(info.value)
    assert "s3cr" not in message and "t-pw" not in message
    assert "postgresql://helpdesk:***@db.example:54x2/helpdesk" in message


def test_check_sqlite_path_accepts_a_new_file_in_a_writable_directory(tmp_path: Path) -> None:
    check_sqlite_path(async_url(f"sqlite:///{tmp_path / 'new.db'}"))
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"")
    check_sqlite_path(async_url(f"sqlite:///{existing}"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.db"]  # the check leaves nothing behind


def test_check_sqlite_path_ignores_postgresql() -> None:
    check_sqlite_path(async_url("postgresql://u@h/db"))  # nothing to check on this machine


def test_check_sqlite_path_directory_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    with pytest.raises(SettingsError) as info:
        check_sqlite_path(async_url(f"sqlite:///{missing / 'x.db'}"))
    assert str(info.value) == f"database directory does not exist: {missing}"


def test_check_sqlite_path_parent_is_a_regular_file(tmp_path: Path) -> None:
    # fails for root too: nothing can be created "inside" a file
    regular = tmp_path / "notes.txt"
    regular.write_text("x")
    with pytest.raises(SettingsError) as info:
        check_sqlite_path(async_url(f"sqlite:///{regular / 'x.db'}"))
    assert str(regular) in str(info.value)
    assert "\n" not in str(info.value)


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory where no file can be created: chmod 0o500, or /proc when running as root (root
    ignores permissions, but not /proc)."""
    if IS_ROOT:
        assert Path("/proc/self").exists(), "needs /proc when the tests run as root"
        yield Path("/proc")
        return
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        yield directory
    finally:
        directory.chmod(0o700)


def test_check_sqlite_path_read_only_directory(unwritable_dir: Path) -> None:
    path = unwritable_dir / "helpdesk-test.db"
    with pytest.raises(SettingsError) as info:
        check_sqlite_path(async_url(f"sqlite:///{path}"))
    message = str(info.value)
    assert "not writable" in message
    assert str(unwritable_dir) in message
    assert "\n" not in message
    assert not path.exists()


def test_check_sqlite_path_read_only_file(tmp_path: Path) -> None:
    if IS_ROOT:
        path = Path("/proc/version")  # exists, and root cannot write it nor create a journal next to it
    else:
        path = tmp_path / "helpdesk.db"
        path.write_bytes(b"")
        path.chmod(0o400)
    with pytest.raises(SettingsError) as info:
        check_sqlite_path(async_url(f"sqlite:///{path}"))
    assert "not writable" in str(info.value)
    assert str(path if not IS_ROOT else path.parent) in str(info.value)


# --------------------------------------------------------------------------------------------------
# end to end: the bot does not start, and says why in one line


def start_console(database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--as", "x"],
        capture_output=True, text=True, encoding="utf-8", cwd=cwd, stdin=subprocess.DEVNULL, timeout=120,
        env={**os.environ, "HELPDESK_DATABASE_URL": database_url},
    )


def assert_one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://x/y", "uses 'mysql'"),
        ("sqlite://", "in-memory SQLite"),
        ("postgresql://u@h:notaport/db", "is not a database URL"),
    ],
)
def test_console_with_a_bad_database_url(raw: str, says: str, tmp_path: Path) -> None:
    line = assert_one_error_line(start_console(raw, tmp_path))
    assert says in line


@pytest.mark.slow
def test_console_with_an_unwritable_database_path(unwritable_dir: Path, tmp_path: Path) -> None:
    path = unwritable_dir / "helpdesk-test.db"
    line = assert_one_error_line(start_console(f"sqlite:///{path}", tmp_path))
    assert "not writable" in line
    assert str(unwritable_dir) in line


@pytest.mark.slow
def test_console_with_a_missing_database_directory(tmp_path: Path) -> None:
    line = assert_one_error_line(start_console(f"sqlite:///{tmp_path / 'gone' / 'x.db'}", tmp_path))
    assert line == f"error: database directory does not exist: {tmp_path / 'gone'}"
