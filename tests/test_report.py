"""The hearing report: unanswered items marked, tables, escaping, languages."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from bot.reports import hearing
from bot.reports.hearing import HearingReport, display_width, to_markdown, to_xlsx
from bot.store import repo
from tests.conftest import Convo, add_company


async def company_report(session, content, name: str, lang: str) -> HearingReport | None:  # type: ignore[no-untyped-def]
    company = await repo.company_by_name(session, name)
    return await hearing.company_report(session, content, company, lang) if company else None


async def test_report_of_a_hearing_in_progress(convo: Convo, tmp_path: Path) -> None:
    code = await add_company(convo.runtime, "株式会社|パイプ", "csirt")
    await convo.send(f"/start {code}")
    await convo.send("/hearing")
    await convo.send("50")
    await convo.send("skip")
    async with convo.runtime.sessions() as session:
        report = await company_report(session, convo.runtime.content, "株式会社|パイプ", "ja")
    assert report is not None
    markdown = to_markdown(report)
    assert "株式会社\\|パイプ" in markdown  # a pipe in data does not break the table
    assert "| 1 | 従業員数は何人ですか？（おおよそで構いません） | 50人 |" in markdown
    assert "| 2 | 事業所（本社・支店・工場など）は何か所ありますか？ | （スキップ） |" in markdown
    assert "| 3 | 業務で使っているパソコンは何台ありますか？（おおよそで構いません） | **（未回答）** |" in markdown
    assert "回答中" in markdown and "1 / " in markdown

    path = tmp_path / "r.xlsx"
    path.write_bytes(to_xlsx(report))
    sheet = load_workbook(path)["回答"]
    assert sheet["D2"].value == "50人" and sheet["D4"].value == "（未回答）"
    assert sheet["D4"].fill.fgColor.rgb.endswith("FCE4D6")  # unanswered rows stand out
    assert sheet.freeze_panes == "A2"


async def test_report_of_a_company_that_has_not_started_lists_every_question(convo: Convo) -> None:
    await add_company(convo.runtime, "未着手株式会社", "it-bcp")
    async with convo.runtime.sessions() as session:
        report = await company_report(session, convo.runtime.content, "未着手株式会社", "en")
        missing = await company_report(session, convo.runtime.content, "存在しない", "ja")
    assert missing is None
    assert report is not None
    rows = [row for _, section in report.sections for row in section]
    assert rows and all(row.state == "unanswered" for row in rows)
    assert ("Status", "Not started") in report.summary


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("abc") == 3
    assert display_width("日本語") == 6
    assert display_width("ｱｲｳ") == 3  # half-width katakana are narrow
