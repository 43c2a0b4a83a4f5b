"""Mermaid diagrams of content, so the secretariat and reviewers can see a tree or a flow."""

from __future__ import annotations

from bot.content.models import Group, TriageTree
from bot.engine.flow import CompiledFlow


def _label(text: str, limit: int = 40) -> str:
    text = text.replace('"', "'").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def triage_diagram(tree: TriageTree, lang: str = "ja") -> str:
    lines = ["flowchart TD"]
    for node in tree.nodes:
        if node.outcome is not None:
            contacts = ", ".join(node.outcome.contacts)
            lines.append(f'    {node.id}[["{_label(node.outcome.title.get(lang))}<br/>{_label(contacts, 60)}"]]')
        else:
            lines.append(f'    {node.id}{{"{_label(node.text.get(lang) if node.text else node.id)}"}}')
        for option in node.options or ():
            lines.append(f'    {node.id} -- "{_label(option.label.get(lang), 30)}" --> {option.next}')
    return "\n".join(lines)


def flow_diagram(flow: CompiledFlow, lang: str = "ja") -> str:
    """Sections in order; conditional questions hang off the question they depend on."""
    lines = ["flowchart TD"]
    previous: str | None = None
    for index, section in enumerate(flow.sections):
        lines.append(f'    subgraph s{index}["{_label(section.title.get(lang))}"]')
        for item in section.items:
            questions = item.items if isinstance(item, Group) else [item]
            for question in questions:
                lines.append(f'    {question.id}["{_label(question.text.get(lang))}"]')
        lines.append("    end")
        for item in section.items:
            questions = item.items if isinstance(item, Group) else [item]
            for question in questions:
                when = question.when if not isinstance(item, Group) or question is not item else item.when
                conditions = when if isinstance(when, list) else [when] if when else []
                for condition in conditions:
                    lines.append(f"    {condition.question} -.-> {question.id}")
                if not conditions:
                    if previous is not None:
                        lines.append(f"    {previous} --> {question.id}")
                    previous = question.id
    return "\n".join(lines)
