"""Incident texts: the filed acknowledgement, summaries for notices and lists, the checklist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Sequence
from zoneinfo import ZoneInfo

from bot.content.loader import Content
from bot.content.models import Contact, IncidentConfig, Playbook, Question
from bot.engine.brief import CHECKLIST, most_urgent
from bot.engine.flow import Answer
from bot.engine.render import Speaker, format_value
from bot.engine.triage import render_contact
from bot.store.models import Incident, IncidentEvent


@dataclass(frozen=True)
class IncidentView:
    """An incident with what it takes to show it: its answers, company, checklist state."""

    incident: Incident
    answers: Mapping[str, Answer]
    company: str
    done: frozenset[str]


def _config(content: Content) -> IncidentConfig:
    config = content.response.incident
    assert config is not None, "content/incident.yaml is required for incidents"
    return config


def questions(content: Content) -> dict[str, Question]:
    return {
        item.id: item for section in _config(content).form.sections for item in section.items
        if isinstance(item, Question)
    }


def level_label(content: Content, level: str, sp: Speaker) -> str:
    found = next((lvl for lvl in _config(content).levels if lvl.id == level), None)
    return found.label.get(sp.lang) if found else level


def status_label(content: Content, status: str, sp: Speaker) -> str:
    found = next((s for s in _config(content).statuses if s.id == status), None)
    return found.label.get(sp.lang) if found else status


def jst(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def headline(view: IncidentView, content: Content, sp: Speaker) -> str:
    incident = view.incident
    category = questions(content)[_config(content).category_question]
    return sp.say(
        "incident.headline", number=incident.number,
        severity=level_label(content, incident.severity, sp),
        status=status_label(content, incident.status, sp),
        category=format_value(category, view.answers.get(category.id), sp),
    )


def summary_lines(view: IncidentView, content: Content, sp: Speaker, tz: ZoneInfo) -> list[str]:
    lines = [headline(view, content, sp), sp.say("incident.company_line", company=view.company)]
    qs = questions(content)
    for question_id in _config(content).summary_questions[1:]:  # the category is in the headline
        question = qs[question_id]
        label = (question.label or question.text).get(sp.lang)
        lines.append(sp.say("incident.field", label=label, value=format_value(question, view.answers.get(question_id), sp)))
    lines.append(sp.say("incident.reported_at", at=jst(view.incident.created_at, tz)))
    return lines


def checklist(playbook: Playbook, done: frozenset[str] | set[str], sp: Speaker) -> str:
    lines = [sp.say("incident.checklist", title=playbook.title.get(sp.lang))]
    for number, step in enumerate(playbook.steps, 1):
        mark = sp.say("incident.step_done" if step.id in done else "incident.step_open")
        urgent = sp.say("incident.step_urgent") if step.urgent and step.id not in done else ""
        lines.append(f"{mark} {number}. {urgent}{step.text.get(sp.lang)}")
    return "\n".join(lines)


def brief(incident: Incident, playbook: Playbook | None, content: Content, sp: Speaker, notes: Sequence[str] = ()) -> str:
    """The filing reply, phone-sized: the number and severity, the most urgent steps (numbered as in
    the full checklist, so 「/incident done」 ticks them by the same numbers), then `notes`."""
    lines = [sp.say("incident.filed", number=incident.number, severity=level_label(content, incident.severity, sp))]
    if playbook:
        shown = most_urgent(playbook.steps, [s.urgent for s in playbook.steps])
        lines.append(sp.say("incident.brief_steps", total=len(playbook.steps)))
        lines.extend(f"{playbook.steps.index(step) + 1}. {step.text.get(sp.lang)}" for step in shown)
        ids = {step.id for step in shown}
        hidden = sum(1 for step in playbook.steps if step.urgent and step.id not in ids)
        if hidden:
            lines.append(sp.say("incident.more_urgent", count=hidden, button=sp.say(f"brief.button_{CHECKLIST}")))
    return "\n".join([*lines, *notes])


def destinations(ids: list[str], content: Content, sp: Speaker, *, desk_open: bool, compact: bool = False) -> str:
    contacts: dict[str, Contact] = {c.id: c for c in (content.contacts.contacts if content.contacts else [])}
    desk = content.response.programme.desk.contact if content.response.programme else ""
    blocks = [sp.say("triage.contacts")]
    for contact_id in ids:
        if contact_id in contacts:
            closed = contact_id == desk and not desk_open
            blocks.append(render_contact(contacts[contact_id], sp, desk_closed=closed, compact=compact))
    return "\n".join(blocks)


def emergency_contacts(content: Content, sp: Speaker, *, category: str | None = None, shown: Sequence[str] = ()) -> str:
    """The destinations to call when the programme desk is closed, minus those just listed: the
    category's own `after_hours` list in its order, or else every contact marked emergency."""
    book = {c.id: c for c in (content.contacts.contacts if content.contacts else [])}
    route = _config(content).categories.get(category or "")
    ids = route.after_hours if route and route.after_hours is not None else [c.id for c in book.values() if c.emergency]
    contacts = [book[i] for i in ids if i in book and i not in shown]
    return "\n".join([sp.say("incident.emergency_contacts"), *(render_contact(c, sp, compact=True) for c in contacts)])


def event_detail(content: Content, event: IncidentEvent, playbook: Playbook | None, sp: Speaker) -> str:
    """What a timeline entry says after its kind: the note, the new level or status, the step."""
    data = event.data or {}
    if event.kind == "severity":
        return level_label(content, str(data.get("to")), sp)
    if event.kind == "status":
        return status_label(content, str(data.get("to")), sp)
    if event.kind == "step":
        return _step_text(playbook, str(data.get("step")), bool(data.get("done")), sp)
    if event.kind == "attachment":
        return str(data.get("name"))
    return event.text or ""


def _step_text(playbook: Playbook | None, step_id: str, done: bool, sp: Speaker) -> str:
    for number, step in enumerate(playbook.steps if playbook else [], 1):
        if step.id == step_id:
            mark = sp.say("incident.step_done" if done else "incident.step_open")
            return f"{mark} {number}. {step.text.get(sp.lang)}"
    return step_id
