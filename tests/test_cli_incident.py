"""`helpdesk incident list|show|note|move|done`: the chat's policy and audit, on the CLI."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from bot.runtime.core import Runtime
from bot.store.models import AuditEntry, Incident, IncidentEvent
from tests.conftest import Clock, Convo
from tests.test_incident import member, short_path


async def companies_with_reports(runtime: Runtime, clock: Clock, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert "now secretariat" in run_cli("secretariat", "add", "jimu").stdout
    b = await member(runtime, "lead_b", company="=1+2社")  # a name a spreadsheet would run
    a = await member(runtime, "lead_a", company="A社")
    await member(runtime, "expert_a", role="expert", company="A社")
    await short_path(b)  # INC-2026-0001, high
    clock.advance(minutes=40)
    await short_path(a, impact="業務が止まっている")  # INC-2026-0002, critical


async def test_the_secretariat_lists_every_company_most_severe_first(runtime: Runtime, clock: Clock, run_cli) -> None:  # type: ignore[no-untyped-def]
    await companies_with_reports(runtime, clock, run_cli)
    table = run_cli("incident", "list", "--as", "jimu")
    assert table.returncode == 0, table.stderr
    rows = [line.split()[0] for line in table.stdout.splitlines() if line.startswith("INC-")]
    assert rows == ["INC-2026-0002", "INC-2026-0001"]
    exported = run_cli("incident", "list", "--format", "csv", "--as", "jimu")
    parsed = list(csv.reader(io.StringIO(exported.stdout)))
    assert parsed[0][:3] == ["number", "company", "severity"]
    assert [r[1] for r in parsed[1:]] == ["A社", "'=1+2社"]  # formula-safe, through bot/reports/cells.py
    assert [r[2] for r in parsed[1:]] == ["緊急", "高"]


async def test_others_list_only_what_they_may_see(runtime: Runtime, clock: Clock, run_cli) -> None:  # type: ignore[no-untyped-def]
    await companies_with_reports(runtime, clock, run_cli)
    for who in ("lead_a", "expert_a"):
        listed = run_cli("incident", "list", "--format", "csv", "--as", who)
        assert [r[0] for r in list(csv.reader(io.StringIO(listed.stdout)))[1:]] == ["INC-2026-0002"], who
    refused = run_cli("incident", "list", "--company", "=1+2社", "--as", "lead_a")
    missing = run_cli("incident", "list", "--company", "ない社", "--as", "lead_a")
    assert refused.returncode == missing.returncode == 3 and refused.stderr == missing.stderr
    closed = run_cli("incident", "list", "--status", "closed", "--as", "jimu")
    assert closed.returncode == 0 and "INC-" not in closed.stdout
    bad = run_cli("incident", "list", "--status", "finished", "--as", "jimu")
    assert bad.returncode == 2 and "no status 'finished'" in bad.stderr


async def test_follow_up_on_the_cli_is_the_chat_commands(runtime: Runtime, clock: Clock, run_cli) -> None:  # type: ignore[no-untyped-def]
    await companies_with_reports(runtime, clock, run_cli)
    await Convo(runtime, "jimu").send("/help")  # the clerk's console account
    shown = run_cli("incident", "show", "#2", "--as", "jimu")
    assert shown.returncode == 0 and "INC-2026-0002" in shown.stdout and "1. ✓ 1 完了" in shown.stdout
    assert run_cli("incident", "note", "2", "端末を隔離しました", "--as", "jimu").returncode == 0
    assert run_cli("incident", "done", "INC-2", "1,2", "--as", "jimu").returncode == 0
    assert run_cli("incident", "move", "inc-2026-0002", "対応中", "--as", "jimu").returncode == 0
    # another company's report and no report answer alike
    other = run_cli("incident", "show", "1", "--as", "lead_a")
    none = run_cli("incident", "show", "7", "--as", "lead_a")
    assert other.returncode == none.returncode == 1
    assert other.stdout.replace("「1」", "「N」") == none.stdout.replace("「7」", "「N」")
    too_long = run_cli("incident", "note", "2", "あ" * 10_000, "--as", "lead_a")
    assert too_long.returncode == 1 and "2000" in too_long.stdout
    async with runtime.sessions() as session:
        incident = await session.scalar(select(Incident).where(Incident.number == "INC-2026-0002"))
        assert incident is not None and incident.status == "in_progress"
        kinds = [e.kind for e in await session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id))]
        reads = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "read_incident")))
    assert kinds.count("update") == 1 and kinds.count("step") == 2 and kinds.count("status") == 1
    assert any(r.target == "INC-2026-0002" and r.allowed for r in reads)  # show is audited as in chat
