"""The document templates (content/drafts/*.yaml): the CSIRT checklist, the CSIRT description, the
incident response flow and the IT-BCP, each a list of sections and fields that the company's hearing
answers fill (bot/drafts).

Every field names the hearing questions it is filled from; `helpdesk content check` refuses a
question id that is not in a hearing flow of the template's courses, and a destination that is not
in content/contacts.yaml, so a draft never shows a blank where a typo stood.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field, model_validator

from bot.content.models import Id, Strict, Text, refuse_duplicates
from bot.engine.flow import CompiledFlow, Group

if TYPE_CHECKING:
    from bot.content.loader import _Collector

# The section of RFC 2350 Appendix D (Outline for CSIRT Template): 2, 2.4, 5.1.1.
RFC2350 = Field(default=None, pattern=r"^[1-7](\.\d{1,2}){0,2}$")
DraftFormat = Literal["md", "docx", "xlsx"]


class DraftField(Strict):
    """One thing the document says: filled from answers, by the bot itself, or 【要確認】 + `ask`."""

    id: Id
    heading: Text | None = None  # None: the section's own row (the checklist's 大項目 line)
    rfc2350: str | None = RFC2350
    about: Text | None = None  # what the field is for (the checklist's 内容 column)
    from_: list[Id] = Field(default_factory=list, alias="from")  # hearing question or group ids
    # value: the answers' values; labelled: one "question: value" line each; table: a repeating
    # group's entries, one line per entry.
    how: Literal["value", "labelled", "table"] = "value"
    # Filled by the bot, not by answers: the incident form's fields (this bot's own form), the
    # destinations named in `contacts`, or the date the draft was made.
    builtin: Literal["incident_form", "contacts", "date"] | None = None
    contacts: list[Id] = Field(default_factory=list)
    ask: Text | None = None  # the question that would fill it, shown beside 【要確認】
    source: str = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _fillable(self) -> DraftField:
        if self.builtin is None and self.ask is None:
            raise ValueError("a field filled from answers needs `ask` (the question shown with 【要確認】)")
        if (self.builtin == "contacts") != bool(self.contacts):
            raise ValueError("`contacts` goes with builtin: contacts, and builtin: contacts needs contacts")
        if self.how == "table" and len(self.from_) != 1:
            raise ValueError("how: table takes one repeating group in `from`")
        return self


class DraftSection(Strict):
    id: Id
    heading: Text
    rfc2350: str | None = RFC2350
    about: Text | None = None
    source: str | None = None
    fields: list[DraftField] = Field(min_length=1)


class DraftTemplate(Strict):
    id: Id
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")  # as typed: helpdesk draft csirt-checklist, /draft csirt-checklist
    title: Text
    intro: Text | None = None
    courses: list[Literal["csirt", "it-bcp"]] = Field(min_length=1)  # the courses it is made for
    # For a company of another course: offered with `other_course_note`, or refused.
    other_course: Literal["offer", "refuse"] = "refuse"
    other_course_note: Text | None = None
    formats: list[DraftFormat] = Field(min_length=1)  # the first is the default
    columns: list[Text] | None = None  # a table layout's column headings (the checklist)
    diagram: bool = False  # the sections are steps of a flow: also drawn as a Mermaid diagram
    source: str = Field(min_length=1)
    sections: list[DraftSection] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> DraftTemplate:
        if self.name == "versions":
            raise ValueError("name 'versions' is taken by `helpdesk draft versions` (the secretariat's list)")
        if self.other_course == "offer" and self.other_course_note is None:
            raise ValueError("other_course: offer needs other_course_note (what the draft lacks for that course)")
        refuse_duplicates("formats", list(self.formats))
        refuse_duplicates("section ids", [s.id for s in self.sections])
        refuse_duplicates("field ids", [f.id for s in self.sections for f in s.fields])
        if self.columns is not None and len(self.columns) != 4:
            raise ValueError("columns: four headings (section, field, about, content), as the checklist of seed 000")
        return self

    def fields(self) -> list[tuple[DraftSection, DraftField]]:
        return [(section, field) for section in self.sections for field in section.fields]


def load_drafts(
    c: _Collector, directory: Path, flows: dict[str, CompiledFlow], contact_ids: set[str],
) -> dict[str, DraftTemplate]:
    """content/drafts/*.yaml (optional), by `name`, with every `from:` and contact checked."""
    templates: dict[str, DraftTemplate] = {}
    if not directory.is_dir():
        return templates
    for path in sorted(directory.glob("*.yaml")):
        template = c.model(path, DraftTemplate)
        if template is None:
            continue
        if template.name in templates:
            c.add(path, "name", f"draft name {template.name!r} is also used by another template")
            continue
        _check_template(c, path, template, flows, contact_ids)
        templates[template.name] = template
    return templates


def _check_template(
    c: _Collector, path: Path, template: DraftTemplate, flows: dict[str, CompiledFlow], contact_ids: set[str],
) -> None:
    course_flows = [f for f in flows.values() if f.definition.course in template.courses]
    # A course whose hearing flow did not load is reported on its own; its questions are unknown here.
    questions_known = {f.definition.course for f in course_flows} == set(template.courses)
    known = {item.id: item for flow in course_flows for section in flow.sections for item in section.items}
    courses = ", ".join(template.courses)
    for section, field in template.fields():
        where = f"sections[{section.id}].fields[{field.id}]"
        for question_id in field.from_ if questions_known else ():
            item = known.get(question_id)
            if item is None:
                c.add(path, where + ".from", f"{question_id!r} is not a hearing question of the {courses} course")
            elif field.how == "table" and not isinstance(item, Group):
                c.add(path, where + ".from", f"how: table needs a repeating group; {question_id!r} is a question")
            elif field.how != "table" and isinstance(item, Group):
                c.add(path, where + ".how", f"{question_id!r} is a repeating group: use how: table")
        for contact in field.contacts:
            if contact not in contact_ids:
                c.add(path, where + ".contacts", f"unknown contact {contact!r}")
