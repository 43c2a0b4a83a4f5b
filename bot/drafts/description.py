"""CSIRT記述書（案）: seed 000's CSIRT 基本文書 fields under RFC 2350's numbered headings (DOCX, Markdown)."""

from __future__ import annotations

from bot.drafts.fill import Draft
from bot.drafts.formats import docx_bytes, docx_head, docx_outline, md_document, md_head, md_outline
from bot.engine.render import Speaker


def render(draft: Draft, fmt: str, sp: Speaker) -> bytes:
    if fmt == "docx":
        document = docx_head(draft, sp)
        docx_outline(document, draft, sp)
        return docx_bytes(document)
    return md_document(md_head(draft, sp) + md_outline(draft, sp))
