"""Writing a filled draft: Markdown, DOCX (python-docx) and XLSX (openpyxl, every cell through
bot/reports/cells.py so people's text is never a formula). The document modules choose the layout:
an outline of headings (description, IT-BCP) or one table (checklist, the flow's table)."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from bot.drafts.fill import Draft, Filled, FilledSection
from bot.engine.render import Speaker
from bot.reports.markdown import md_text


def numbered(heading: str, rfc2350: str | None) -> str:
    """A heading with its RFC 2350 section number beside it: "2.1 チーム名"."""
    return f"{rfc2350} {heading}" if rfc2350 else heading


def summary(draft: Draft, sp: Speaker) -> list[tuple[str, str]]:
    missing = sum(1 for f in draft.fields() if f.missing)
    rows = [
        (sp.say("draft.company"), draft.company),
        (sp.say("draft.made_on"), sp.say("unit.date", y=draft.made_on.year, m=draft.made_on.month, d=draft.made_on.day)),
        (sp.say("draft.answers_used"), sp.say("draft.answers_value", n=draft.answers_used)),
        (sp.say("draft.to_confirm_count"), sp.say("draft.answers_value", n=missing)),
    ]
    if draft.note:
        rows.append((sp.say("draft.note"), draft.note))
    return rows


# --- Markdown


def md_head(draft: Draft, sp: Speaker) -> list[str]:
    out = [f"# {md_text(draft.title)}", ""]
    intro = draft.template.intro
    if intro is not None:
        out += [md_text(intro.get(sp.lang)), ""]
    out += [f"- **{md_text(k)}**: {md_text(v)}" for k, v in summary(draft, sp)]
    return out


def md_outline(draft: Draft, sp: Speaker) -> list[str]:
    out: list[str] = []
    for section in draft.sections:
        out += ["", f"## {md_text(numbered(section.heading, section.rfc2350))}"]
        for item in section.fields:
            if _own_heading(section, item):
                out += ["", f"### {md_text(numbered(item.heading, item.rfc2350))}"]
            out += [""] + [_md_line(line) for line in item.text(sp).split("\n")]
    return out


def _own_heading(section: FilledSection, item: Filled) -> bool:
    # A section of one field named like it (7 免責事項) gets one heading, not the same one twice.
    return bool(item.heading) and numbered(item.heading, item.rfc2350) != numbered(section.heading, section.rfc2350)


def _md_line(line: str) -> str:
    return f"- {md_text(line)}"


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(md_text(c) for c in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in rows]
    return out


def md_document(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- DOCX


def docx_head(draft: Draft, sp: Speaker) -> Any:
    from docx import Document

    document = Document()
    document.add_heading(draft.title, level=0)
    intro = draft.template.intro
    if intro is not None:
        document.add_paragraph(intro.get(sp.lang))
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for key, value in summary(draft, sp):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = key, value
    return document


def docx_outline(document: Any, draft: Draft, sp: Speaker) -> None:
    for section in draft.sections:
        document.add_heading(numbered(section.heading, section.rfc2350), level=1)
        for item in section.fields:
            if _own_heading(section, item):
                document.add_heading(numbered(item.heading, item.rfc2350), level=2)
            _docx_field(document, item, sp)


def _docx_field(document: Any, item: Filled, sp: Speaker) -> None:
    for line in item.text(sp).split("\n"):
        paragraph = document.add_paragraph(line, style="List Bullet")
        if item.missing:
            for run in paragraph.runs:
                run.bold = True  # what the expert and the company must decide at a visit


def docx_table(document: Any, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text


def docx_bytes(document: Any) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- XLSX


def xlsx_table(draft: Draft, sp: Speaker, header: Sequence[str], rows: Sequence[Sequence[str]], missing: set[int]) -> bytes:
    """One sheet: the summary above the table; rows still to be confirmed stand out."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    from bot.reports.cells import text_only_workbook
    from bot.reports.width import display_width

    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook has one sheet, active
    sheet.title = "".join(ch for ch in draft.title if ch not in "[]:*?/\\")[:31] or "Sheet"
    sheet.append([draft.title])
    sheet["A1"].font = Font(bold=True, size=14)
    for key, value in summary(draft, sp):
        sheet.append([key, value])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append([])
    sheet.append(list(header))
    header_row = sheet.max_row
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[header_row]:
        cell.font, cell.fill, cell.alignment = Font(bold=True), PatternFill("solid", fgColor="DDEBF7"), wrap
    for index, row in enumerate(rows):
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
            if index in missing:
                cell.fill = PatternFill("solid", fgColor="FCE4D6")
    sheet.freeze_panes = f"A{header_row + 1}"
    for column in range(1, len(header) + 1):
        longest = max((display_width(part) for row in [header, *rows] for part in str(row[column - 1]).split("\n")), default=8)
        sheet.column_dimensions[get_column_letter(column)].width = max(10, min(longest + 2, 60))
    text_only_workbook(book)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
