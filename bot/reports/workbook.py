"""The hearing briefing as an XLSX workbook (bot/reports/output.py writes it to a file).

Sheets in reading order: the summary (profile, who answered, completion, findings), what to clarify
at visit 1, one sheet per group table (the per-process impact table, sorted by impact), the answers
by section, and the sources last. Every table has a frozen, filtered header that is repeated on each
printed page; every sheet prints on A4 landscape, fitted to the page's width. Numbers are number
cells (RTO/RPO in hours with a number format); every text goes through bot/reports/cells.py.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from bot.content.loader import SHEET_NAME_FORBIDDEN, SHEET_NAME_MAX
from bot.reports.cells import text_only_workbook
from bot.reports.hearing import TO_CLARIFY, Cell, Column, HearingReport
from bot.reports.width import display_width

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CLARIFY_FILL = PatternFill("solid", fgColor="FCE4D6")
WRAP = Alignment(wrap_text=True, vertical="top")
MAX_WIDTH = 70  # wider columns wrap: a printed A4 page still shows several columns


def sheet_title(text: str, taken: set[str]) -> str:
    """Content check keeps the report's sheet names valid; a hearing begun on older content may
    still hold a longer group label, so it is cut to Excel's rules rather than refused."""
    title = "".join(ch for ch in text if ch not in SHEET_NAME_FORBIDDEN)[:SHEET_NAME_MAX] or "Sheet"
    base, n = title, 2
    while title.casefold() in taken:  # Excel compares sheet names ignoring case
        suffix = f" ({n})"
        title, n = base[: SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
    taken.add(title.casefold())
    return title


def _print_setup(sheet: Worksheet, title_rows: str | None = None) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)  # or fitToWidth is ignored
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    if title_rows:
        sheet.print_title_rows = title_rows


def _widths(sheet: Worksheet, rows: Sequence[Sequence[object]]) -> None:
    widths: dict[int, int] = {}
    for row in rows:
        for column, value in enumerate(row, 1):
            text = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
            longest = max((display_width(part) for part in text.split("\n")), default=0)
            widths[column] = max(widths.get(column, 0), longest)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = max(8, min(width + 2, MAX_WIDTH))


def _table(sheet: Worksheet, columns: Sequence[Column], rows: Sequence[Sequence[Cell]],
           marked: Set[int] = frozenset()) -> None:
    """A table from A1: a header row that stays on screen, filters and is printed on every page."""
    sheet.append([c.title for c in columns])
    for cell in sheet[1]:
        cell.font, cell.fill, cell.alignment = BOLD, HEADER_FILL, WRAP
    for index, row in enumerate(rows):
        sheet.append(list(row))
        for column, cell in zip(columns, sheet[sheet.max_row]):
            cell.alignment = WRAP
            if column.number_format and isinstance(cell.value, (int, float)):
                cell.number_format = column.number_format
            if index in marked:
                cell.fill = CLARIFY_FILL
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(sheet.max_row, 2)}"
    _print_setup(sheet, "1:1")
    _widths(sheet, [[c.title for c in columns], *rows])


def _summary(sheet: Worksheet, report: HearingReport) -> None:
    """Blocks of label and value, one under the other, as the Markdown's summary reads."""
    labels = report.labels
    sheet.append([labels["title"]])
    sheet["A1"].font = Font(bold=True, size=14)
    widths: list[list[object]] = []

    def block(title: str, rows: Sequence[Sequence[object]], formats: Sequence[str | None] = ()) -> None:
        sheet.append([])
        sheet.append([title])
        sheet.cell(sheet.max_row, 1).font = BOLD
        for index, row in enumerate(rows):
            sheet.append(list(row))
            sheet.cell(sheet.max_row, 1).font = BOLD
            for cell in sheet[sheet.max_row]:
                cell.alignment = WRAP
            number_format = formats[index] if index < len(formats) else None
            if number_format:
                sheet.cell(sheet.max_row, 2).number_format = number_format
            widths.append(list(row))

    block(labels["profile"], [[f.label, f.text if f.value is None else f.value] for f in report.profile],
          [f.number_format for f in report.profile])
    block(labels["respondents"], report.respondents or [["-"]])
    block(labels["completion"], report.completion)
    findings = [[n, f.text, f"[{f.source}]"] for n, f in enumerate(report.findings, 1)]
    block(labels["findings"], findings or [[labels["no_findings"]]])
    _print_setup(sheet)
    _widths(sheet, widths)


def to_xlsx(report: HearingReport) -> bytes:
    labels = report.labels
    taken: set[str] = set()
    book = Workbook()
    summary = book.active
    assert isinstance(summary, Worksheet)  # a new workbook has one sheet, active
    summary.title = sheet_title(labels["sheet_summary"], taken)
    _summary(summary, report)

    clarify = book.create_sheet(sheet_title(labels["sheet_clarify"], taken))
    _table(
        clarify, [Column(labels[k]) for k in ("no", "section", "question", "state")],
        [[r.number, r.section, r.question, labels[f"state_{r.state}"]] for r in report.clarify],
    )
    for table in report.tables:
        _table(book.create_sheet(sheet_title(table.sheet, taken)), table.columns, table.rows)

    answers = book.create_sheet(sheet_title(labels["sheet_answers"], taken))
    keys = ["no", "section", "question", "answer", "state", "answered_by"]
    rows: list[list[Cell]] = []
    marked: set[int] = set()
    for _, section_rows in report.sections:
        for row in section_rows:
            if row.state in TO_CLARIFY:
                marked.add(len(rows))
            answer: Cell = row.value if row.value is not None else row.answer
            rows.append([row.number, row.section, row.question, answer, labels[f"state_{row.state}"], row.answered_by])
    _table(answers, [Column(labels[k]) for k in keys], rows, marked)
    # Number answers carry their own unit ("50人", "4.0時間"): formatted per cell, not per column.
    for index, row in enumerate(r for _, section_rows in report.sections for r in section_rows):
        if row.value is not None and row.number_format:
            answers.cell(index + 2, keys.index("answer") + 1).number_format = row.number_format

    sources = book.create_sheet(sheet_title(labels["sheet_sources"], taken))
    _table(sources, [Column(labels[k]) for k in ("no", "source", "used_by")],
           [[s.number, s.text, s.used_by] for s in report.sources])
    text_only_workbook(book)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
