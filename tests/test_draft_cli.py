"""`helpdesk draft`: who may make which draft, the bad inputs, and the secretariat's version list."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from sqlalchemy import select

from bot.runtime.core import Runtime
from bot.store.models import AuditEntry
from tests.conftest import Convo, add_company
from tests.drafting import answered_company


async def test_the_lead_drafts_others_are_refused_and_the_secretariat_sees_versions(
    runtime: Runtime, run_cli, tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    assert run_cli("secretariat", "add", "jimu").returncode == 0
    await answered_company(runtime, "記述株式会社", "csirt", user="lead_a")
    code_b = await add_company(runtime, "他社株式会社", "csirt")
    await Convo(runtime, "lead_b").send(f"/start {code_b}")

    made = run_cli("draft", "csirt-description", "--company", "記述株式会社", "--format", "docx",
                   "--output", "d.docx", "--as", "lead_a")
    assert made.returncode == 0, made.stderr
    headings = [p.text for p in Document(str(tmp_path / "d.docx")).paragraphs if p.style.name.startswith("Heading")]
    assert "3.4 権限" in headings
    again = run_cli("draft", "csirt-description", "--company", "記述株式会社", "--output", "d2.md", "--format", "md", "--as", "lead_a")
    assert again.returncode == 0 and "v2" in again.stdout

    refused = run_cli("draft", "csirt-description", "--company", "記述株式会社", "--output", "x.md", "--format", "md", "--as", "lead_b")
    missing = run_cli("draft", "csirt-description", "--company", "ない株式会社", "--output", "x.md", "--format", "md", "--as", "lead_b")
    assert refused.returncode == missing.returncode == 3 and refused.stderr == missing.stderr
    assert not (tmp_path / "x.md").exists()

    not_begun = run_cli("draft", "csirt-checklist", "--company", "他社株式会社", "--output", "c.xlsx", "--as", "lead_b")
    assert not_begun.returncode == 2 and "ヒアリングはまだ始まっていない" in not_begun.stderr and "問の回答から作ります" in not_begun.stderr
    wrong = run_cli("draft", "csirt-checklist", "--company", "記述株式会社", "--format", "md", "--output", "c.md", "--as", "lead_a")
    assert wrong.returncode == 2 and "xlsx, docx" in wrong.stderr

    listed = run_cli("draft", "versions", "--as", "jimu")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t")[:3] for line in listed.stdout.splitlines()[1:]]
    assert rows == [["記述株式会社", "csirt-description", "v2"]]
    assert run_cli("draft", "versions", "--as", "lead_a").returncode == 3  # the secretariat's list only

    async with runtime.sessions() as session:
        entries = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "make_draft").order_by(AuditEntry.id)))
    assert [(e.allowed, (e.detail or {}).get("version")) for e in entries] == [(True, 1), (True, 2), (False, None), (False, None), (False, None)]
