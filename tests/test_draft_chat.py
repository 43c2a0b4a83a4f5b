"""/draft in chat: the documents of the company's course as buttons, a format where there are several,
then the document as a file (the console writes it into its folder), audited with its version."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.config import get_settings
from bot.engine.messages import OutFile, Outbound, outbound_from_json, outbound_to_json
from bot.runtime.core import Runtime
from bot.platforms.console import run_console
from bot.store.models import AuditEntry
from tests.conftest import Convo, add_company
from tests.drafting import begun_company

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def only_file(replies: list[Outbound]) -> OutFile:
    files = [f for r in replies for f in r.files]
    assert len(files) == 1, [r.text for r in replies]
    return files[0]


async def make_drafts(runtime: Runtime) -> list[AuditEntry]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "make_draft").order_by(AuditEntry.id)))


def test_a_file_survives_the_outbox_as_json() -> None:
    message = Outbound("送りました", files=(OutFile("a.docx", DOCX, bytes(range(256)) * 3),))
    payload = outbound_to_json(message)
    assert isinstance(payload["files"][0]["data"], str)  # base64 text, not bytes
    assert outbound_from_json(payload) == message
    assert outbound_from_json(outbound_to_json(Outbound("text only"))).files == ()


async def test_the_lead_lists_the_course_documents_picks_one_and_a_format(runtime: Runtime) -> None:
    lead = await begun_company(runtime, "下書き株式会社", "csirt")
    listing = await lead.send("/draft")
    question = lead.question
    assert question is not None and len(listing) == 1
    it_bcp = runtime.content.drafts["it-bcp"] if "it-bcp" in runtime.content.drafts else None
    values = [c.value for c in question.options]
    assert values[:3] == ["csirt-checklist", "csirt-description", "response-flow"]
    assert it_bcp is None or ("it-bcp" in values) == (it_bcp.other_course == "offer")

    await lead.press("csirt-checklist")
    assert [c.value for c in lead.question.options] == ["csirt-checklist.xlsx", "csirt-checklist.docx"]  # type: ignore[union-attr]
    sent = await lead.press("csirt-checklist.xlsx")
    file = only_file(sent)
    assert file.name == "csirt-checklist.xlsx" and file.mime_type.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(file.data)).active
    assert sheet is not None and sheet["A1"].value == "CSIRT構築チェックリスト"
    cells = [v for row in sheet.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    missing = sum(1 for v in cells if v.startswith("【要確認】") and v != "【要確認】の項目")  # not the summary's label
    assert f"【要確認】は{missing}項目" in sent[0].text and missing > 0

    entries = await make_drafts(runtime)
    assert [(e.allowed, e.detail["document"], e.detail["format"], e.detail["version"], e.detail["outcome"]) for e in entries] == [
        (True, "csirt-checklist", "xlsx", 1, "done"),
    ]
    assert entries[0].detail["to_confirm"] == missing


async def test_typed_document_and_format_send_at_once_and_count_versions(runtime: Runtime) -> None:
    lead = await begun_company(runtime, "直接株式会社", "csirt")
    first = only_file(await lead.send("/draft csirt-description docx"))
    assert any(p.style.name.startswith("Heading") for p in Document(io.BytesIO(first.data)).paragraphs)
    only_file(await lead.send("/draft csirt-description md"))
    assert [e.detail["version"] for e in await make_drafts(runtime)] == [1, 2]
    wrong = await lead.send("/draft csirt-checklist pdf")  # not a format: read as a company name
    assert wrong[0].kind == "error" and not wrong[0].files


async def test_another_company_gets_the_answer_of_a_missing_one(runtime: Runtime) -> None:
    await begun_company(runtime, "秘密株式会社", "csirt", user="lead_a")
    code = await add_company(runtime, "他社株式会社", "csirt")
    other = Convo(runtime, "lead_b")
    await other.send(f"/start {code}")
    refused = await other.send("/draft 秘密株式会社")
    missing = await other.send("/draft ない株式会社")
    assert refused[0].text == missing[0].text and refused[0].kind == "error"
    assert "秘密株式会社" not in refused[0].text

    # A button of company A's listing, pressed by B (a forged press), is refused the same way.
    lead_a = Convo(runtime, "lead_a")
    await lead_a.send("/draft")
    ref = lead_a.question.question_ref  # type: ignore[union-attr]
    forged = await other.send("", choice="csirt-description.docx", reply_to=ref)
    assert forged[0].text == missing[0].text and not forged[0].files
    refusals = [e for e in await make_drafts(runtime) if not e.allowed]
    assert len(refusals) == 2 and all(e.detail["reason"] == "another company" for e in refusals)


async def test_an_expert_names_the_company_and_a_draft_before_the_hearing_is_explained(runtime: Runtime) -> None:
    await begun_company(runtime, "担当株式会社", "csirt")
    expert = Convo(runtime, "expert")
    await expert.send(f"/start {await add_company(runtime, '担当株式会社', 'csirt', role='expert')}")
    usage = await expert.send("/draft")
    assert usage[0].kind == "error" and "/draft" in usage[0].text
    await expert.send("/draft 担当株式会社")
    assert expert.question is not None and expert.question.options
    assert only_file(await expert.send("/draft response-flow docx 担当株式会社")).name == "response-flow.docx"

    code = await add_company(runtime, "未着手株式会社", "csirt")
    new = Convo(runtime, "new_lead")
    await new.send(f"/start {code}")
    not_begun = await new.send("/draft csirt-description docx")
    assert "ヒアリングはまだ始まっていない" in not_begun[0].text and not not_begun[0].files
    failed = (await make_drafts(runtime))[-1]
    assert not failed.allowed and failed.detail["outcome"] == "failed"


async def test_a_document_over_the_size_limit_is_explained_not_sent(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    lead = await begun_company(runtime, "大きい株式会社", "csirt")
    monkeypatch.setenv("HELPDESK_FILES_MAX_BYTES", "1000")
    get_settings.cache_clear()
    try:
        replies = await lead.send("/draft csirt-description docx")
    finally:
        get_settings.cache_clear()
    assert replies[0].kind == "error" and not replies[0].files
    assert "上限" in replies[0].text and "helpdesk draft csirt-description" in replies[0].text
    assert (await make_drafts(runtime))[-1].detail["outcome"] == "failed"


async def test_the_console_writes_the_file_and_prints_its_path(runtime: Runtime, tmp_path: Path) -> None:
    await begun_company(runtime, "コンソール株式会社", "csirt", user="tanaka")
    out = io.StringIO()
    folder = tmp_path / "files"
    lines = "/draft\n/press 1\n/press 2\n/draft csirt-checklist docx\n/draft csirt-checklist xlsx\n"
    await run_console(runtime, "tanaka", stdin=io.StringIO(lines), stdout=out, background=False, files_dir=folder)
    printed = out.getvalue()
    saved = sorted(folder.iterdir())
    # The same document again does not replace the first one.
    assert [p.name for p in saved] == ["csirt-checklist-2.docx", "csirt-checklist.docx", "csirt-checklist.xlsx"]
    for path in saved:
        assert f"ファイルを保存しました：{path}" in printed
        assert path.stat().st_mode & 0o077 == 0  # the company's answers: readable by its owner only
    paragraphs = [p.text for p in Document(str(folder / "csirt-checklist.docx")).paragraphs]
    assert "CSIRT構築チェックリスト" in paragraphs
    assert load_workbook(folder / "csirt-checklist.xlsx").active["A1"].value == "CSIRT構築チェックリスト"  # type: ignore[index]


async def test_a_console_folder_that_cannot_be_written_is_said_and_the_reply_kept(runtime: Runtime, tmp_path: Path) -> None:
    await begun_company(runtime, "書けない株式会社", "csirt", user="tanaka")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    out = io.StringIO()
    await run_console(runtime, "tanaka", stdin=io.StringIO("/draft csirt-description docx\n"), stdout=out,
                      background=False, files_dir=blocker)
    printed = out.getvalue()
    assert "下書きを添付しました" in printed and "保存できませんでした" in printed and "HELPDESK_FILES_DIR" in printed
