"""Drafts from a company's answers: every field carries the answer or 【要確認】 and its question,
read back from the DOCX (python-docx) and the XLSX (openpyxl, cell by cell)."""

from __future__ import annotations

from io import BytesIO

import pytest
from docx import Document
from openpyxl import load_workbook

from bot.drafts.answers import company_answers
from bot.drafts.documents import RENDERERS, NotBegun, company_draft
from bot.drafts.fill import SAYS_NOTHING, fill
from bot.engine.flow import Group
from bot.engine.render import Speaker, format_value
from bot.runtime.core import Runtime
from bot.store import repo
from tests.conftest import add_company
from tests.drafting import answered_company

TO_CONFIRM = "【要確認】"


def speaker(runtime: Runtime, lang: str = "ja") -> Speaker:
    content = runtime.content
    return Speaker(lang, content.book, content.words, runtime.clock().date())


async def drafted(runtime: Runtime, company_name: str, name: str, fmt: str):  # type: ignore[no-untyped-def]
    async with runtime.sessions() as session:
        company = await repo.company_by_name(session, company_name)
        assert company is not None
        answers = await company_answers(session, runtime.content, company)
        made = await company_draft(session, runtime.content, company, runtime.content.drafts[name], fmt, speaker(runtime))
    return made, answers


def expected(runtime: Runtime, name: str, answers):  # type: ignore[no-untyped-def]
    """Per field id: the formatted answers it must show, or None when it must be 【要確認】."""
    content = runtime.content
    sp = speaker(runtime)
    questions = {i.id: i for f in content.flows.values() for s in f.sections for i in s.items}
    out: dict[str, list[str] | None] = {}
    for _, spec in content.drafts[name].fields():
        if spec.builtin is not None:
            continue
        values = []
        for qid in spec.from_:
            item = questions[qid]
            if isinstance(item, Group):
                values += [format_value(q, a, sp) for key, a in answers.items() if key.startswith(f"{qid}[")
                           for q in item.items if key.endswith(f".{q.id}")]
                continue
            answer = answers.get(qid)
            said = answer.value if answer is not None and isinstance(answer.value, list) else [answer.value if answer else None]
            if answer is not None and not answer.skipped and not set(map(str, said)) <= SAYS_NOTHING:
                values.append(format_value(item, answer, sp))
        out[spec.id] = values or None
    return out


async def test_the_checklist_xlsx_has_every_seed_row_answered_or_to_confirm(runtime: Runtime) -> None:
    await answered_company(runtime, "チェック株式会社", "csirt")
    made, answers = await drafted(runtime, "チェック株式会社", "csirt-checklist", "xlsx")
    sheet = load_workbook(BytesIO(made.data)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(cells) if row[:4] == ["大項目", "中項目", "内容", "構築前（検討内容）"])
    rows = cells[header + 1:]
    template = runtime.content.drafts["csirt-checklist"]
    wanted = expected(runtime, "csirt-checklist", answers)
    assert len(rows) == len(template.fields())
    for row, (_, spec) in zip(rows, template.fields()):
        assert row[2] == spec.about.ja  # type: ignore[union-attr]
        values = wanted[spec.id]
        if values is None:
            assert row[3] == f"{TO_CONFIRM}{spec.ask.ja}", spec.id  # type: ignore[union-attr]
        else:
            assert TO_CONFIRM not in row[3], spec.id
            for value in values:
                assert value in row[3], (spec.id, value)
    by_id = dict(zip((s.id for _, s in template.fields()), rows))
    assert "決まっている" in by_id["management"][3]  # the answer given to incident_decision_maker
    assert by_id["budget"][3].startswith(TO_CONFIRM)  # no hearing question asks for a budget
    assert made.missing == sum(1 for v in wanted.values() if v is None)


async def test_the_description_docx_numbers_headings_and_lists_the_incident_form(runtime: Runtime) -> None:
    await answered_company(runtime, "記述書株式会社", "csirt")
    made, answers = await drafted(runtime, "記述書株式会社", "csirt-description", "docx")
    document = Document(BytesIO(made.data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "2 連絡先情報" in headings and "2.1 チーム名" in headings and "2.11 顧客連絡先" in headings
    assert "6 インシデント報告フォーム" in headings and "7 免責事項" in headings
    template = runtime.content.drafts["csirt-description"]
    wanted = expected(runtime, "csirt-description", answers)
    paragraphs = [p.text for p in document.paragraphs]
    for _section, spec in template.fields():
        heading = f"{spec.rfc2350} {spec.heading.ja}"  # type: ignore[union-attr]
        start = paragraphs.index(heading)
        body = []
        for text in paragraphs[start + 1:]:
            if text in headings:
                break
            body.append(text)
        if spec.builtin == "incident_form":
            form = runtime.content.response.incident.form  # type: ignore[union-attr]
            assert body == [(q.label or q.text).ja for s in form.sections for q in s.items if q.answerable]
        elif spec.builtin == "date":
            assert body == [f"{runtime.clock().year}年{runtime.clock().month}月{runtime.clock().day}日"]
        elif wanted[spec.id] is None:
            assert body == [f"{TO_CONFIRM}{spec.ask.ja}"], spec.id  # type: ignore[union-attr]
        else:
            assert not any(TO_CONFIRM in line for line in body)
            assert all(any(v in line for line in body) for v in wanted[spec.id]), spec.id  # type: ignore[union-attr]
    assert any(body.startswith(f"{TO_CONFIRM}CSIRTに連絡する電話番号") for body in paragraphs)  # never a made-up number


async def test_the_it_bcp_has_the_process_table_and_the_flow_a_diagram(runtime: Runtime) -> None:
    await answered_company(runtime, "継続株式会社", "it-bcp")
    made, answers = await drafted(runtime, "継続株式会社", "it-bcp", "md")
    text = made.data.decode("utf-8")
    assert "## 重要業務と影響・RTO・RPO" in text
    assert "業務：販売管理システム" in text and "RTO（復旧時間目標）：4時間" in text
    assert "- 【要確認】非常時に" not in text  # recovery_decision_maker was answered
    flow, _ = await drafted(runtime, "継続株式会社", "response-flow", "md")
    markdown = flow.data.decode("utf-8")
    assert "```mermaid\nflowchart TD" in markdown and "step4 --> step5" in markdown
    assert "JPCERT/CC" in markdown and "03-6271-8901" in markdown  # destinations from contacts.yaml
    # incident_decision_maker is a CSIRT-course question: an IT-BCP company has it to confirm.
    assert "判断する人: 最終判断" not in markdown


async def test_a_draft_before_the_hearing_has_begun_is_refused(runtime: Runtime) -> None:
    await add_company(runtime, "未着手株式会社", "csirt")
    with pytest.raises(NotBegun):
        await drafted(runtime, "未着手株式会社", "csirt-checklist", "xlsx")


def test_every_template_has_a_layout(runtime: Runtime) -> None:
    assert {t.id for t in runtime.content.drafts.values()} == set(RENDERERS)


async def test_people_text_stays_text(runtime: Runtime) -> None:
    sp = speaker(runtime)
    template = runtime.content.drafts["csirt-checklist"]
    from bot.engine.flow import Answer

    draft = fill(template, runtime.content, "=HYPERLINK(\"x\")", "csirt", {"key_systems": Answer("=1+2", "=1+2")}, sp)
    sheet = load_workbook(BytesIO(RENDERERS["csirt_checklist"](draft, "xlsx", sp))).active
    values = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert values and all(c.data_type == "s" for c in values)  # no formula in the file
