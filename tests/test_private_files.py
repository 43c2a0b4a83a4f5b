"""Files the bot makes hold companies' data: the SQLite database and every export are readable by
their owner only (0600), and `--output` never replaces a file unless `--force` is given."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot.config import async_url
from bot.reports.output import OutputExists, write_private
from bot.store.db import make_engine, upgrade
from tests.conftest import ON_POSTGRES, add_company


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():  # type: ignore[no-untyped-def]
    """The most permissive umask: what the files' own modes allow is all others get."""
    old = os.umask(0)
    yield
    os.umask(old)


async def test_a_new_database_file_and_its_log_are_owner_only(tmp_path: Path, open_umask) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "helpdesk.db"
    engine = make_engine(async_url(f"sqlite:///{path}"))
    try:
        await upgrade(engine)
        for name in ("helpdesk.db", "helpdesk.db-wal", "helpdesk.db-shm"):
            assert mode(tmp_path / name) == 0o600, name
    finally:
        await engine.dispose()


def test_write_private_refuses_an_existing_file_and_replaces_it_with_force(tmp_path: Path, open_umask) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "report.md"
    write_private(target, b"first")
    assert mode(target) == 0o600 and target.read_bytes() == b"first"
    with pytest.raises(OutputExists):
        write_private(target, b"second")
    assert target.read_bytes() == b"first"
    other = tmp_path / "notes.txt"
    other.write_text("not the bot's")
    other.chmod(0o644)
    link = tmp_path / "link.md"
    link.symlink_to(other)
    with pytest.raises(OutputExists):  # a link is not followed, nor replaced
        write_private(link, b"x")
    assert other.read_text() == "not the bot's"
    write_private(target, b"second", force=True)
    assert target.read_bytes() == b"second" and mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.md", "notes.txt", "report.md"]  # no leftovers


@pytest.mark.skipif(ON_POSTGRES, reason="the console account and exports are the same on PostgreSQL; one run is enough")
async def test_every_export_with_output_is_owner_only_and_needs_force(runtime, run_cli, tmp_path: Path, open_umask) -> None:  # type: ignore[no-untyped-def]
    from scheduler.events import EventSpec, add_event
    from scheduler.visits import VisitSpec, add_visit
    from tests.calendar_setup import jst
    from tests.conftest import Convo
    from tests.test_incident import short_path

    reporter = Convo(runtime, "tanaka")
    await reporter.send(f"/start {await add_company(runtime, 'A社', 'csirt')}")
    await short_path(reporter)
    async with runtime.sessions.begin() as session:
        await add_visit(session, runtime.content, runtime.tz, VisitSpec("A社", 1, jst("2026-12-03 14:00"), "onsite", "丸の内"),
                        now=runtime.clock(), notify=False)
        event, _ = await add_event(session, runtime.content, runtime.tz,
                                   EventSpec(kind="seminar", at=jst("2026-12-10 15:00"), place="会場"), now=runtime.clock())
    exports = {
        "hearing.md": ["export", "hearing", "--company", "A社", "--format", "md"],
        "hearing.xlsx": ["export", "hearing", "--company", "A社", "--format", "xlsx"],
        "incident.md": ["export", "incident", "INC-2026-0001"],
        "incident.json": ["export", "incident", "INC-2026-0001", "--format", "json"],
        "visits.ics": ["visit", "ics", "A社"],
        "event.ics": ["event", "ics", str(event.id)],
    }
    for name, args in exports.items():
        path = tmp_path / name
        first = run_cli(*args, "--output", str(path))  # the child inherits umask 0
        assert first.returncode == 0, (name, first.stderr)
        assert mode(path) == 0o600, name
        path.write_bytes(b"kept")
        again = run_cli(*args, "--output", str(path))
        assert again.returncode == 2 and "already exists" in again.stderr and "--force" in again.stderr, (name, again.stderr)
        assert path.read_bytes() == b"kept", name  # nothing was written
        forced = run_cli(*args, "--output", str(path), "--force")
        assert forced.returncode == 0, (name, forced.stderr)
        assert mode(path) == 0o600 and path.read_bytes() not in (b"", b"kept"), name
