"""インシデント対応フロー（案）: the steps as a Mermaid diagram and a table (Markdown, DOCX)."""

from __future__ import annotations

from bot.drafts.fill import Draft
from bot.drafts.formats import docx_bytes, docx_head, docx_table, md_document, md_head, md_table
from bot.engine.render import Speaker

LABEL_LINE = 40  # characters of a field shown inside a diagram box; the table has all of it


def _mermaid_text(text: str) -> str:
    # Inside a quoted Mermaid label: entity codes for the characters that would end or break it.
    text = text if len(text) <= LABEL_LINE else text[: LABEL_LINE - 1] + "…"
    return text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def diagram(draft: Draft, sp: Speaker) -> str:
    """One box per step, in order, with its fields' first lines: who, who decides, where to call."""
    lines = ["flowchart TD"]
    for number, section in enumerate(draft.sections, 1):
        label = [f"{number}. {_mermaid_text(section.heading)}"]
        for item in section.fields:
            first = item.text(sp).split("\n")[0]
            label.append(_mermaid_text(f"{item.heading}: {first}" if item.heading else first))
        lines.append(f'    step{number}["{"<br>".join(label)}"]')
    lines += [f"    step{n} --> step{n + 1}" for n in range(1, len(draft.sections))]
    return "\n".join(lines)


def table(draft: Draft, sp: Speaker) -> tuple[list[str], list[list[str]]]:
    header = [sp.say("draft.step"), sp.say("draft.item"), sp.say("draft.content")]
    rows = [
        [f"{number}. {section.heading}" if index == 0 else "", item.heading, item.text(sp)]
        for number, section in enumerate(draft.sections, 1)
        for index, item in enumerate(section.fields)
    ]
    return header, rows


def render(draft: Draft, fmt: str, sp: Speaker) -> bytes:
    header, rows = table(draft, sp)
    if fmt == "docx":
        document = docx_head(draft, sp)
        document.add_heading(sp.say("draft.table"), level=1)
        docx_table(document, header, rows)
        return docx_bytes(document)
    out = md_head(draft, sp)
    out += ["", f"## {sp.say('draft.diagram')}", "", "```mermaid", diagram(draft, sp), "```"]
    out += ["", f"## {sp.say('draft.table')}", ""] + md_table(header, rows)
    return md_document(out)
