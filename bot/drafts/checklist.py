"""CSIRT構築チェックリスト: seed 000's table, its last column filled from the answers (XLSX, DOCX)."""

from __future__ import annotations

from bot.drafts.fill import Draft
from bot.drafts.formats import docx_bytes, docx_head, docx_table, md_document, md_head, md_table, xlsx_table
from bot.engine.render import Speaker


def rows(draft: Draft, sp: Speaker) -> tuple[list[str], list[list[str]], set[int]]:
    """(header, rows, indexes of rows still to be confirmed): 大項目 on a section's first row only."""
    columns = draft.template.columns or []
    header = [c.get(sp.lang) for c in columns]
    out: list[list[str]] = []
    missing: set[int] = set()
    for section in draft.sections:
        for index, item in enumerate(section.fields):
            if item.missing:
                missing.add(len(out))
            out.append([section.heading if index == 0 else "", item.heading, item.about, item.text(sp)])
    return header, out, missing


def render(draft: Draft, fmt: str, sp: Speaker) -> bytes:
    header, table, missing = rows(draft, sp)
    if fmt == "xlsx":
        return xlsx_table(draft, sp, header, table, missing)
    if fmt == "docx":
        document = docx_head(draft, sp)
        docx_table(document, header, table)
        return docx_bytes(document)
    return md_document(md_head(draft, sp) + [""] + md_table(header, table))
