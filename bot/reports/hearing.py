"""ヒアリングシート結果報告書: the hearing report the expert reads before visit 1 (Markdown, XLSX)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.engine.flow import Answer, Group
from bot.engine.render import Speaker, format_value
from bot.engine.step import answer_state
from bot.hearing.sheet import load as load_sheet
from bot.reports.markdown import md_text
from bot.store.models import Company, utcnow

TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass
class Row:
    number: int
    key: str
    question: str
    answer: str
    state: str  # answered | unknown | skipped | unanswered (bot.engine.step.answer_state)
    answered_at: str
    source: str


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class HearingReport:
    labels: dict[str, str]
    summary: list[tuple[str, str]]
    sections: list[tuple[str, list[Row]]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    @property
    def to_ask(self) -> list[Row]:
        """The questions answered 分からない: what the expert asks at visit 1."""
        return [row for _, rows in self.sections for row in rows if row.state == "unknown"]


def _jst(moment: datetime | None) -> str:
    return moment.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") if moment else ""


async def company_report(session: AsyncSession, content: Content, company: Company, lang: str) -> HearingReport | None:
    """The company's hearing report, from its shared sheet."""
    return await build_report(session, content, company, lang)


async def build_report(session: AsyncSession, content: Content, company: Company, lang: str) -> HearingReport | None:
    """The report of the company's sheet; with nothing answered yet, every question, unanswered."""
    sp = Speaker(lang, content.book, content.words, utcnow().astimezone(TOKYO).date())
    view = await load_sheet(session, content, company)
    if view is None:
        return None
    flow = view.flow
    answers = view.answers
    answered_at = {key: g.answered_at for key, g in view.given.items()}
    respondent = sp.say("unit.list_join").join(view.answerers())
    sheet = view.sheet

    say = sp.say
    plan = view.steps()
    answered = view.counts.answered
    status = "submitted" if view.submitted else ("completed" if view.counts.given and not view.counts.open else
                                                 "active" if view.counts.given else "none")
    report = HearingReport(
        labels={k: say(f"report.{k}") for k in ("title", "no", "section", "question", "answer", "answered_at", "source", "summary", "answers", "to_ask")},
        summary=[
            (say("report.company"), company.name),
            (say("report.course"), say(f"course.{company.course}")),
            (say("report.flow"), flow.title.get(lang)),
            (say("report.respondent"), respondent),
            (say("report.status"), say(f"report.status_{status}")),
            (say("report.progress"), say("report.progress_value", answered=answered, total=len(plan))),
            (say("report.started"), _jst(sheet.created_at) if sheet else ""),
            (say("report.updated"), _jst(sheet.updated_at) if sheet else ""),
            (say("report.generated"), _jst(utcnow())),
            (say("report.note"), say("report.note_value")),
        ],
    )
    for index, section in enumerate(flow.sections):
        rows = []
        for number, step in enumerate(plan, 1):
            if step.section_index != index:
                continue
            answer = answers.get(step.key)
            state = answer_state(answer)
            question = step.question.text.get(lang)
            if step.group is not None:
                question = f"[{_group_name(step.group, lang)} #{step.entry}] {question}"
            rows.append(
                Row(number, step.key, question, format_value(step.question, answer, sp), state,
                    _jst(answered_at.get(step.key)), step.question.source or section.source or "")
            )
        if rows:
            report.sections.append((section.title.get(lang), rows))
        for item in section.items:
            if isinstance(item, Group):
                table = _group_table(item, plan, answers, sp)
                if table.rows:
                    report.tables.append(table)
    return report


def _group_table(group: Group, plan: list, answers: dict[str, Answer], sp: Speaker) -> Table:
    """One row per entry of a repeating group: the per-process impact/RTO/RPO table."""
    columns = [(q.label or q.text).get(sp.lang) for q in group.items if q.answerable]
    entries = sorted({s.entry for s in plan if s.group is group})
    rows = []
    for entry in entries:
        row = []
        for question in (q for q in group.items if q.answerable):
            key = f"{group.id}[{entry}].{question.id}"
            in_plan = any(s.key == key for s in plan)
            row.append(format_value(question, answers.get(key), sp) if in_plan else "-")
        rows.append(row)
    return Table(sp.say("report.table", title=_group_name(group, sp.lang)), columns, rows)


def _group_name(group: Group, lang: str) -> str:
    return (group.label or group.text).get(lang)


# --- Markdown


def to_markdown(report: HearingReport) -> str:
    labels = report.labels
    out = [f"# {labels['title']}", "", f"## {labels['summary']}", ""]
    out += [f"- **{md_text(k)}**: {md_text(v)}" for k, v in report.summary]
    for table in report.tables:
        out += ["", f"## {md_text(table.title)}", ""]
        out.append("| " + " | ".join(md_text(c) for c in table.columns) + " |")
        out.append("|" + "---|" * len(table.columns))
        out += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in table.rows]
    if report.to_ask:
        out += ["", f"## {labels['to_ask']}", ""]
        out += [f"- {row.number}. {md_text(row.question)}" for row in report.to_ask]
    out += ["", f"## {labels['answers']}"]
    for title, rows in report.sections:
        out += ["", f"### {md_text(title)}", ""]
        out.append(f"| {labels['no']} | {labels['question']} | {labels['answer']} | {labels['answered_at']} |")
        out.append("|---:|---|---|---|")
        for row in rows:
            answer = md_text(row.answer)
            if row.state in ("unanswered", "unknown"):
                answer = f"**{answer}**"  # what the expert must ask at the visit
            out.append(f"| {row.number} | {md_text(row.question)} | {answer} | {row.answered_at} |")
    return "\n".join(out) + "\n"


# --- XLSX


def display_width(text: str) -> int:
    """Columns a text needs in Excel: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def to_xlsx(report: HearingReport) -> bytes:
    """The report as an XLSX workbook (bot/reports/output.py writes it to a file)."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

    from bot.reports.cells import text_only_workbook

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    missing_fill = PatternFill("solid", fgColor="FCE4D6")
    wrap = Alignment(wrap_text=True, vertical="top")

    def sheet_title(text: str) -> str:
        # Excel forbids []:*?/\ in sheet names and allows 31 characters.
        return "".join(ch for ch in text if ch not in "[]:*?/\\")[:31] or "Sheet"

    def fit(sheet: Worksheet, widths: dict[int, int]) -> None:
        from openpyxl.utils import get_column_letter

        for column, width in widths.items():
            sheet.column_dimensions[get_column_letter(column)].width = max(8, min(width + 2, 70))

    def table(sheet: Worksheet, header: list[str], rows: Sequence[Sequence[object]], missing: Set[int] = frozenset()) -> None:
        sheet.append(header)
        for cell in sheet[1]:
            cell.font, cell.fill, cell.alignment = bold, header_fill, wrap
        for index, row in enumerate(rows):
            sheet.append(list(row))
            for cell in sheet[sheet.max_row]:
                cell.alignment = wrap
                if index in missing:
                    cell.fill = missing_fill
        sheet.freeze_panes = "A2"
        widths: dict[int, int] = {}
        for row in [header, *rows]:
            for column, value in enumerate(row, 1):
                longest = max((display_width(part) for part in str(value).split("\n")), default=0)
                widths[column] = max(widths.get(column, 0), longest)
        fit(sheet, widths)

    book = Workbook()
    summary = book.active
    assert isinstance(summary, Worksheet)  # a new workbook has one sheet, active
    summary.title = sheet_title(report.labels["summary"])
    summary.append([report.labels["title"]])
    summary["A1"].font = Font(bold=True, size=14)
    for key, value in report.summary:
        summary.append([key, value])
        summary.cell(summary.max_row, 1).font = bold
    fit(summary, {1: max(display_width(k) for k, _ in report.summary), 2: max(display_width(v) for _, v in report.summary)})

    answers = book.create_sheet(sheet_title(report.labels["answers"]))
    header = [report.labels["no"], report.labels["section"], report.labels["question"], report.labels["answer"],
              report.labels["answered_at"], report.labels["source"]]
    rows: list[list[object]] = []
    missing: set[int] = set()
    for title, section_rows in report.sections:
        for row in section_rows:
            if row.state in ("unanswered", "unknown"):
                missing.add(len(rows))
            rows.append([row.number, title, row.question, row.answer, row.answered_at, row.source])
    table(answers, header, rows, missing)
    for item in report.tables:
        table(book.create_sheet(sheet_title(item.title)), item.columns, item.rows)
    text_only_workbook(book)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- chat


def to_chat(report: HearingReport) -> list[str]:
    """The report as chat messages: the summary, then one message per section (a phone screen)."""
    messages = ["\n".join([f"■ {report.labels['title']}", *(f"{k}: {v}" for k, v in report.summary[:-2])])]
    for title, rows in report.sections:
        lines = [f"■ {title}"]
        for row in rows:
            mark = "❗" if row.state in ("unanswered", "unknown") else ""
            lines.append(f"{row.number}. {row.question}\n　→ {mark}{row.answer}")
        messages.append("\n".join(lines))
    return messages
