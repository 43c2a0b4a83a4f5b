"""The hearing report (the expert's briefing): a summary page first, then the answers by section,
then the sources; findings from content rules; the XLSX read cell by cell as Excel would."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.content.loader import Content
from bot.engine.flow import Answer
from bot.reports import hearing
from bot.reports.hearing import HearingReport, build_report, to_chat, to_markdown
from bot.reports.sheet import SheetAnswers, answer_is_unknown
from bot.reports.width import display_width
from bot.reports.workbook import to_xlsx
from bot.store import repo
from bot.store.models import Company
from tests.conftest import Convo, add_company

IMPACT = "business_processes"


async def company_report(session, content, name: str, lang: str) -> HearingReport | None:  # type: ignore[no-untyped-def]
    company = await repo.company_by_name(session, name)
    return await hearing.company_report(session, content, company, lang) if company else None


def briefing(content: Content, answers: dict[str, Answer], course: str = "csirt", lang: str = "ja",
             by: dict[str, str] | None = None) -> HearingReport:
    """A report of answers built here: no database, so each test says exactly what was answered."""
    flow = content.hearing_flow(course)
    assert flow is not None
    who = by if by is not None else dict.fromkeys(answers, "田中")
    sheet = SheetAnswers(flow, answers, who, status="active")
    return build_report(content, Company(name="株式会社テスト", course=course), lang, sheet)


def entry(number: int, **answers: Answer) -> dict[str, Answer]:
    return {f"{IMPACT}[{number}].{key}": answer for key, answer in answers.items()}


# A hearing that should give every finding of content/hearing/findings.yaml its chance.
RISKY = {
    "employees": Answer(50, "50"),
    "backup": Answer(True, "はい"),
    "backup_offline": Answer("online_only", "いいえ"),
    "mfa": Answer("none", "使っていない"),
    "admin_rights": Answer("all", "ほぼ全員"),
    "remote_access": Answer(["vpn"], "VPN"),
    "vpn_updates": Answer("unknown", "分からない"),
    "doc_incident_plan": Answer("none", "ない"),
    **entry(1, process_name=Answer("受注", "受注"), process_impact=Answer("low", "低"),
            process_rto=Answer(240, "4時間"), process_rpo=Answer(1440, "1日"), _more=Answer(True, "はい")),
    **entry(2, process_name=Answer("出荷", "出荷"), process_impact=Answer("high", "高"),
            process_rto=Answer(30, "30分"), _more=Answer(True, "はい")),
    **entry(3, process_name=Answer("請求", "請求"), process_impact=Answer("medium", "中"), _more=Answer(False, "いいえ")),
}
# The same company with the measures in place.
CAREFUL = {
    **RISKY,
    "backup_offline": Answer("offline", "はい"),
    "mfa": Answer("all", "すべて"),
    "admin_rights": Answer("it_only", "管理担当者だけ"),
    "vpn_updates": Answer("updated", "更新している"),
    "doc_incident_plan": Answer("exists", "ある"),
}


def test_findings_fire_on_the_answers_that_call_for_them(content: Content) -> None:
    report = briefing(content, RISKY)
    assert [f.id for f in report.findings] == [
        "no_offline_backup", "no_mfa", "everyone_admin", "no_incident_plan", "vpn_patching_unknown",
    ]
    sources = {s.number: s.text for s in report.sources}
    rules = {rule.id: rule for rule in content.findings.findings}
    for finding in report.findings:
        assert sources[finding.source] == rules[finding.id].source  # each finding with its own source
        assert finding.text == rules[finding.id].text.ja


def test_findings_do_not_fire_when_the_measures_are_in_place(content: Content) -> None:
    assert briefing(content, CAREFUL).findings == []
    # no backup at all: its own finding, and not the offline one (that question is not asked then)
    no_backup = {**CAREFUL, "backup": Answer(False, "いいえ"), "backup_offline": Answer("online_only", "いいえ")}
    assert [f.id for f in briefing(content, no_backup).findings] == ["no_backup"]
    # VPN patching is only a finding when the company connects through a VPN
    no_vpn = {**RISKY, "remote_access": Answer(["cloud_only"], "クラウド")}
    assert "vpn_patching_unknown" not in [f.id for f in briefing(content, no_vpn).findings]
    # a skipped answer says nothing: it is listed to clarify, not read as "no"
    skipped = {**CAREFUL, "mfa": Answer(None, "skip", skipped=True)}
    report = briefing(content, skipped)
    assert report.findings == []
    assert [r.key for r in report.clarify if r.state == "skipped"] == ["mfa"]


def test_the_incident_plan_rule_fires_in_both_courses(content: Content) -> None:
    # doc_incident_plan is on seed 000's second hearing slide, which both courses now ask
    answers = {**CAREFUL, "doc_incident_plan": Answer("none", "ない")}
    assert [f.id for f in briefing(content, answers, course="csirt").findings] == ["no_incident_plan"]
    assert [f.id for f in briefing(content, answers, course="it-bcp").findings] == ["no_incident_plan"]


def test_counts_and_items_to_clarify(content: Content) -> None:
    answers = {
        "employees": Answer(50, "50"),
        "sites": Answer(None, "skip", skipped=True),
        "os_used": Answer(["windows", "unknown"], "1,5"),
        "mobile_devices": Answer("none", "使っていない"),
        "vendor_remote_maintenance": Answer("unknown", "分からない"),
    }
    report = briefing(content, answers)
    completion = dict(report.completion)
    total = completion["質問数"]
    assert isinstance(total, int)
    assert (completion["回答済み"], completion["分からない"], completion["スキップ"]) == (2, 2, 1)
    assert completion["未回答"] == total - 5
    states = {r.key: r.state for r in report.clarify}
    assert states["os_used"] == states["vendor_remote_maintenance"] == "unknown"
    assert states["sites"] == "skipped" and states["pc_count"] == "unanswered"
    assert "employees" not in states and "mobile_devices" not in states
    assert report.respondents == [("田中", 5)]


@dataclass(frozen=True)
class FlaggedAnswer(Answer):
    """An answer as the engine will mark a typed 分からない (the `unknown` flag of issue 18)."""

    unknown: bool = False


def test_the_unknown_flag_of_an_answer_is_read() -> None:
    assert answer_is_unknown(FlaggedAnswer(None, "分からない", unknown=True))
    assert not answer_is_unknown(FlaggedAnswer(12, "12"))
    assert answer_is_unknown(Answer("unknown", "分からない"))  # the 分からない option of a choice
    assert not answer_is_unknown(Answer("unknown", "skip", skipped=True))
    assert not answer_is_unknown(None)


def test_impact_table_in_hours_sorted_by_impact(content: Content) -> None:
    [table] = briefing(content, RISKY).tables
    titles = [c.title for c in table.columns]
    assert titles[0] == "業務" and "RTO（復旧時間目標）（時間）" in titles
    rto, rpo = titles.index("RTO（復旧時間目標）（時間）"), titles.index("RPO（データ復旧点目標）（時間）")
    assert [row[0] for row in table.rows] == ["出荷", "請求", "受注"]  # high, medium, low
    assert [row[rto] for row in table.rows] == [0.5, None, 4.0]
    assert [row[rpo] for row in table.rows] == [None, None, 24.0]
    assert table.columns[rto].number_format == '0.0"時間"'


def test_markdown_reads_summary_then_answers_then_sources(content: Content) -> None:
    markdown = to_markdown(briefing(content, RISKY))
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    order = ["## 概要", "### 企業プロフィール", "### 回答者（回答数）", "### 回答状況", "### 所見（初回訪問で話し合う点）",
             "### 初回訪問で確認する項目", "### 重要業務ごとの影響・RTO・RPO（一覧）", "## 回答", "### IT環境", "## 出典"]
    assert [h for h in headings if h in order] == order
    assert headings[-1] == "## 出典"
    assert "- **従業員数**: 50人" in markdown
    assert "| 出荷 | （未回答） | （未回答） | 高 | 0.5 | - |" in markdown
    assert "| 1 | 従業員数は何人ですか？（おおよそで構いません） | 50人 |" in markdown  # no time, no source per row
    assert "出典: seed" not in markdown and "回答日時" not in markdown
    sources = markdown.split("## 出典")[1]
    assert "seed:003 主な対策の例示" in sources and "(所見 1)" in sources


def test_chat_gives_the_summary_and_findings_first(content: Content) -> None:
    messages = to_chat(briefing(content, RISKY))
    assert messages[0].startswith("■ ヒアリングシート結果報告書") and "従業員数: 50人" in messages[0]
    assert messages[1].startswith("■ 所見") and "多要素認証" in messages[1]
    assert messages[2].startswith("■ 初回訪問で確認する項目") and "分からない: No " in messages[2]
    assert messages[3].startswith("■ IT環境")


def _sheet(book_bytes: bytes, index: int) -> Worksheet:
    sheet = load_workbook(io.BytesIO(book_bytes)).worksheets[index]
    assert isinstance(sheet, Worksheet)
    return sheet


def _header(sheet: Worksheet) -> list[object]:
    return [cell.value for cell in sheet[1]]


def test_xlsx_sheets_tables_numbers_and_print_setup(content: Content) -> None:
    data = to_xlsx(briefing(content, RISKY))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["概要", "確認事項", "重要業務ごとの影響・RTO・RPO", "回答", "出典"]

    summary = book["概要"]
    values = [[c.value for c in row] for row in summary.iter_rows()]
    assert values[0][0] == "ヒアリングシート結果報告書"
    assert ["従業員数", 50, None] in values and summary.cell(values.index(["従業員数", 50, None]) + 1, 2).number_format == '#,##0"人"'
    given = [key for key in RISKY if not key.endswith("._more")]  # "one more?" is not a question
    assert ["田中", len(given), None] in values  # who answered, a count as a number
    findings = values.index(["所見（初回訪問で話し合う点）", None, None])
    assert values[findings + 1][0] == 1 and "オフライン" in str(values[findings + 1][1])

    impact = book["重要業務ごとの影響・RTO・RPO"]
    header = _header(impact)
    rto = header.index("RTO（復旧時間目標）（時間）") + 1
    rpo = header.index("RPO（データ復旧点目標）（時間）") + 1
    assert [impact.cell(r, 1).value for r in (2, 3, 4)] == ["出荷", "請求", "受注"]
    assert impact.cell(2, rto).value == 0.5 and impact.cell(2, rto).data_type == "n"
    assert impact.cell(2, rto).number_format == '0.0"時間"'
    assert impact.cell(4, rpo).value == 24 and impact.cell(4, rpo).number_format == '0.0"時間"'
    assert impact.cell(3, rto).value is None  # not answered: an empty cell, still sortable

    answers = book["回答"]
    assert _header(answers) == ["No", "セクション", "質問", "回答", "状態", "回答者"]
    assert answers["A2"].value == 1 and answers["A2"].data_type == "n"
    assert answers["D2"].value == 50 and answers["D2"].number_format == '#,##0"人"'
    assert answers["E3"].value == "未回答" and answers["D3"].fill.fgColor.rgb.endswith("FCE4D6")

    sources = book["出典"]
    assert _header(sources) == ["No", "出典", "参照箇所"] and sources["B2"].value.startswith("seed:003")

    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert str(sheet.page_setup.paperSize) == Worksheet.PAPERSIZE_A4  # "9": A4 in the OOXML paper codes
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
        assert sheet.page_setup.fitToHeight == 0
        assert all(8 <= d.width <= 70 for d in sheet.column_dimensions.values() if d.width)
    for sheet in book.worksheets[1:]:  # every table
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
        assert sheet.print_title_rows == "$1:$1"
    assert book["回答"].column_dimensions["C"].width > 40  # the question column is readable


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("course", ["csirt", "it-bcp"])
def test_sheet_names_fit_excel_in_both_languages(content: Content, lang: str, course: str) -> None:
    answers = {**RISKY, "past_incident": Answer("damaged", "被害"), "past_incidents[1].incident_what": Answer("x", "x")}
    report = briefing(content, answers, course=course, lang=lang)
    names = load_workbook(io.BytesIO(to_xlsx(report))).sheetnames
    assert len(names) == len({n.casefold() for n in names}) >= 5
    assert all(len(name) <= 31 for name in names), names
    # nothing was cut: each is the whole label content gives it
    assert [t.sheet for t in report.tables] == names[2:-2]
    assert names[0] == report.labels["sheet_summary"] and names[-1] == report.labels["sheet_sources"]


def test_english_report_uses_english_formats(content: Content) -> None:
    report = briefing(content, RISKY, lang="en")
    [table] = report.tables
    assert "RTO (hours)" in [c.title for c in table.columns]
    answers = load_workbook(io.BytesIO(to_xlsx(report)))["Answers"]
    assert answers["D2"].number_format == '#,##0 "people"'


def test_several_respondents_are_named_per_row(content: Content) -> None:
    answers = {"employees": Answer(50, "50"), "sites": Answer(2, "2")}
    report = briefing(content, answers, by={"employees": "田中", "sites": "佐藤"})
    assert sorted(report.respondents) == [("佐藤", 1), ("田中", 1)]
    markdown = to_markdown(report)
    assert "| 1 | 従業員数は何人ですか？（おおよそで構いません） | 50人 | 田中 |" in markdown
    assert "| 2 | 事業所（本社・支店・工場など）は何か所ありますか？ | 2か所 | 佐藤 |" in markdown


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
    assert "| 2 | 事業所（本社・支店・工場など）は何か所ありますか？ | **（スキップ）** |" in markdown
    assert "| 3 | 業務で使っているパソコンは何台ありますか？（おおよそで構いません） | **（未回答）** |" in markdown
    assert "- **状態**: 回答中" in markdown and "- **回答済み**: 1" in markdown and "- **スキップ**: 1" in markdown
    [(name, count)] = report.respondents  # one person, two answers (one of them a skip)
    assert count == 2 and f"- {name}: 2" in markdown

    path = tmp_path / "r.xlsx"
    path.write_bytes(to_xlsx(report))
    sheet = load_workbook(path)["回答"]
    assert sheet["D2"].value == 50 and sheet["D4"].value == "（未回答）"
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
    assert ("Status", "Not started") in report.completion
    assert report.clarify == rows and report.findings == [] and report.respondents == []


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
        company = await repo.company_by_name(session, "株式会社サンプル")
        assert company is not None
        report = await hearing.company_report(session, convo.runtime.content, company, "ja")
    assert report is not None
    states = {row.key: row.state for _, rows in report.sections for row in rows}
    assert (states["employees"], states["sites"], states["pc_count"], states["os_used"]) == (
        "unknown", "skipped", "unknown", "unanswered"
    )
    assert [row.key for row in report.to_ask] == ["employees", "pc_count"]
    assert [value for label, value in report.completion if "分からない" in label] == [2]
    assert "分からない" in to_markdown(report)

    path = tmp_path / "r.xlsx"
    path.write_bytes(to_xlsx(report))
    answers = load_workbook(path)["回答"]
    assert any(cell.value == "分からない" for row in answers.iter_rows() for cell in row)

    await convo.send("中断")
    await convo.send("/status")  # outside the hearing: the company sheet, counted once
    assert "57問中3問回答済み" in convo.text
