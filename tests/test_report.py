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


async def test_wakaranai_is_its_own_state_counted_and_listed_for_visit_1(convo: Convo, tmp_path: Path) -> None:
    code = await add_company(convo.runtime, "株式会社サンプル", "csirt")
    await convo.send(f"/start {code}")
    await convo.send("/hearing")
    await convo.send("不明")  # employees: required, answered 分からない
    await convo.send("skip")  # sites
    await convo.send("わからない")  # pc_count
    async with convo.runtime.sessions() as session:
        report = await company_report(session, convo.runtime.content, "株式会社サンプル", "ja")
    assert report is not None
    states = {row.key: row.state for _, rows in report.sections for row in rows}
    assert (states["employees"], states["sites"], states["pc_count"], states["os_used"]) == (
        "unknown", "skipped", "unknown", "unanswered"
    )
    assert [row.key for row in report.to_ask] == ["employees", "pc_count"]
    assert ("「分からない」の回答", "2 問") in report.summary
    assert dict(report.summary)["回答数"].startswith("0 / ")  # 分からない and skips are not answered
    markdown = to_markdown(report)
    assert "## 初回訪問で確認すること（「分からない」の回答）\n\n- 1. 従業員数は何人ですか？" in markdown
    assert "| 1 | 従業員数は何人ですか？（おおよそで構いません） | **分からない** |" in markdown

    path = tmp_path / "r.xlsx"
    path.write_bytes(to_xlsx(report))
    sheet = load_workbook(path)["回答"]
    assert sheet["D2"].value == "分からない" and sheet["D2"].fill.fgColor.rgb.endswith("FCE4D6")

    await convo.send("中断")
    await convo.send("/status")  # outside the hearing: the registration and the sheet's state
    assert "中断中（0問回答済み、分からない 2問）" in convo.text
