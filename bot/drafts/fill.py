"""Filling a template (content/drafts) with a company's answers: each field gets what the answers say,
or 【要確認】 with the question that would fill it. Nothing else is written: a phone number, a law or a
deadline the answers do not give stays 【要確認】."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.content.drafts import DraftField, DraftTemplate
from bot.content.loader import Content
from bot.content.models import Question
from bot.engine.flow import Answer, Group
from bot.engine.render import Speaker, format_value

# Answers that say nothing a draft can use: the field stays to be confirmed.
SAYS_NOTHING = frozenset({"unknown"})


@dataclass(frozen=True)
class Filled:
    id: str
    heading: str  # "" for a section's own row
    rfc2350: str | None
    about: str
    lines: list[str]  # what the answers say, one line each; empty when missing
    ask: str  # the question to confirm, when missing

    @property
    def missing(self) -> bool:
        return not self.lines

    def text(self, sp: Speaker) -> str:
        """The field as written in a document: the answers, or 【要確認】 and the question."""
        return "\n".join(self.lines) if self.lines else sp.say("draft.to_confirm", ask=self.ask)


@dataclass(frozen=True)
class FilledSection:
    id: str
    heading: str
    rfc2350: str | None
    fields: list[Filled]


@dataclass
class Draft:
    template: DraftTemplate
    company: str
    lang: str
    made_on: date
    answers_used: int  # answered questions the draft draws on
    sections: list[FilledSection] = field(default_factory=list)
    note: str = ""  # for a company of another course: what the draft lacks

    @property
    def title(self) -> str:
        return self.template.title.get(self.lang)

    def fields(self) -> list[Filled]:
        return [f for s in self.sections for f in s.fields]


def _questions(content: Content) -> dict[str, Question | Group]:
    return {item.id: item for flow in content.flows.values() for s in flow.sections for item in s.items}


def _says(answer: Answer | None) -> bool:
    if answer is None or answer.skipped or answer.value in (None, "", []):
        return False
    values = answer.value if isinstance(answer.value, list) else [answer.value]
    return not all(v in SAYS_NOTHING for v in values)


def _name(question: Question | Group, lang: str) -> str:
    return (question.label or question.text).get(lang)


def _entries(group: Group, answers: dict[str, Answer]) -> list[int]:
    pattern = re.compile(rf"^{re.escape(group.id)}\[(\d+)\]\.")
    return sorted({int(m.group(1)) for key in answers if (m := pattern.match(key))})


def _field_lines(
    spec: DraftField, questions: dict[str, Question | Group], answers: dict[str, Answer], sp: Speaker,
) -> tuple[list[str], int]:
    """The lines a field's answers give, and how many answers were used."""
    lines: list[str] = []
    used = 0
    for question_id in spec.from_:
        item = questions.get(question_id)
        if isinstance(item, Group):
            for entry in _entries(item, answers):
                cells = []
                for q in (q for q in item.items if q.answerable):
                    answer = answers.get(f"{item.id}[{entry}].{q.id}")
                    if _says(answer):
                        used += 1
                        cells.append(sp.say("draft.labelled", label=_name(q, sp.lang), value=format_value(q, answer, sp)))
                if cells:
                    lines.append(sp.say("unit.list_join").join(cells))
        elif isinstance(item, Question):
            answer = answers.get(question_id)
            if not _says(answer):
                continue
            used += 1
            value = format_value(item, answer, sp)
            lines.append(sp.say("draft.labelled", label=_name(item, sp.lang), value=value) if spec.how == "labelled" else value)
    return lines, used


def _builtin_lines(spec: DraftField, content: Content, sp: Speaker) -> list[str]:
    if spec.builtin == "date":
        return [sp.say("unit.date", y=sp.today.year, m=sp.today.month, d=sp.today.day)]
    if spec.builtin == "incident_form":
        form = content.response.incident.form if content.response.incident else None
        if form is None:
            return []
        return [_name(q, sp.lang) for s in form.sections for q in s.items if isinstance(q, Question) and q.answerable]
    if spec.builtin == "contacts" and content.contacts is not None:
        by_id = {c.id: c for c in content.contacts.contacts}
        lines = []
        for contact_id in spec.contacts:
            contact = by_id[contact_id]  # checked by the content loader
            channels = [ch.value for ch in contact.channels]
            lines.append(sp.say("draft.destination", name=contact.name.get(sp.lang), channels=sp.say("unit.list_join").join(channels))
                         if channels else contact.name.get(sp.lang))
        return lines
    return []


def fill(template: DraftTemplate, content: Content, company_name: str, course: str,
         answers: dict[str, Answer], sp: Speaker) -> Draft:
    questions = _questions(content)
    draft = Draft(template, company_name, sp.lang, sp.today, 0)
    if course not in template.courses and template.other_course_note is not None:
        draft.note = template.other_course_note.get(sp.lang)
    for section in template.sections:
        filled = []
        for spec in section.fields:
            if spec.builtin is not None:
                lines = _builtin_lines(spec, content, sp)
            else:
                lines, used = _field_lines(spec, questions, answers, sp)
                draft.answers_used += used
            filled.append(Filled(
                spec.id, spec.heading.get(sp.lang) if spec.heading else "", spec.rfc2350,
                spec.about.get(sp.lang) if spec.about else "", lines,
                spec.ask.get(sp.lang) if spec.ask else "",
            ))
        draft.sections.append(FilledSection(section.id, section.heading.get(sp.lang), section.rfc2350, filled))
    return draft


def questions_drawn_on(template: DraftTemplate) -> int:
    """How many hearing questions the template's fields draw on (for the not-begun message)."""
    return len({q for _, f in template.fields() for q in f.from_})
