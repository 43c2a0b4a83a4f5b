"""Loading and cross-checking the incident-response content: triage tree, playbooks, the incident
form and its rules, and the programme (desk hours). Every reference must resolve: a leaf naming a
missing contact or playbook is an error of `helpdesk content check`, never a surprise in a chat."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.content.models import (
    Condition,
    ContactBook,
    FlowDef,
    IncidentConfig,
    Playbook,
    Programme,
    Question,
    TriageTree,
)
from bot.engine.flow import CompiledFlow
from bot.engine.triage import CompiledTree

if TYPE_CHECKING:
    from bot.content.loader import _Collector

INCIDENT_FLOW = "incident"


@dataclass(frozen=True)
class ResponseContent:
    triage: CompiledTree | None
    playbooks: dict[str, Playbook]
    incident: IncidentConfig | None
    incident_flow: CompiledFlow | None
    programme: Programme | None


def load_response(c: _Collector, directory: Path, contacts: ContactBook | None) -> ResponseContent:
    contact_ids = {contact.id for contact in contacts.contacts} if contacts else set()
    playbooks = _load_playbooks(c, directory / "playbooks", contact_ids)
    tree = _load_triage(c, directory / "triage.yaml", contact_ids, set(playbooks))
    incident, incident_flow = _load_incident(c, directory / "incident.yaml", contact_ids, set(playbooks))
    if incident:
        incident = _with_playbook_contacts(incident, playbooks)
    programme = c.model(directory / "programme.yaml", Programme)
    if programme and programme.desk.contact not in contact_ids:
        c.add(directory / "programme.yaml", "desk.contact", f"unknown contact {programme.desk.contact!r}")
    if programme:
        _check_calendar(c, directory / "programme.yaml", programme)
    if tree and incident:
        categories = set(incident.categories)
        for node in tree.tree.nodes:
            category = node.outcome.report_category if node.outcome else None
            if category and category not in categories:
                c.add(
                    directory / "triage.yaml", f"nodes[{node.id}].outcome.report_category",
                    f"{category!r} is not a category of content/incident.yaml",
                )
    return ResponseContent(tree, playbooks, incident, incident_flow, programme)


def _load_playbooks(c: _Collector, directory: Path, contact_ids: set[str]) -> dict[str, Playbook]:
    playbooks: dict[str, Playbook] = {}
    if not directory.is_dir():
        c.add(directory, "", "the playbooks directory is missing")
        return playbooks
    for path in sorted(directory.glob("*.yaml")):
        playbook = c.model(path, Playbook)
        if playbook is None:
            continue
        if playbook.id in playbooks:
            c.add(path, "id", f"duplicate playbook id {playbook.id!r}")
        for contact in playbook.contacts:
            if contact not in contact_ids:
                c.add(path, "contacts", f"unknown contact {contact!r}")
        playbooks[playbook.id] = playbook
    return playbooks


def _load_triage(c: _Collector, path: Path, contact_ids: set[str], playbook_ids: set[str]) -> CompiledTree | None:
    tree = c.model(path, TriageTree)
    if tree is None:
        return None
    nodes = {node.id: node for node in tree.nodes}
    ok = True
    if len(nodes) != len(tree.nodes):
        ids = [n.id for n in tree.nodes]
        for dupe in sorted({i for i in ids if ids.count(i) > 1}):
            c.add(path, f"nodes[{dupe}].id", f"duplicate node id {dupe!r}")
        ok = False
    if tree.start not in nodes:
        c.add(path, "start", f"unknown node {tree.start!r}")
        return None
    for node in tree.nodes:
        for option in node.options or ():
            if option.next not in nodes:
                c.add(path, f"nodes[{node.id}].options[{option.value}].next", f"unknown node {option.next!r}")
                ok = False
        if node.outcome:
            for contact in node.outcome.contacts:
                if contact not in contact_ids:
                    c.add(path, f"nodes[{node.id}].outcome.contacts", f"unknown contact {contact!r}")
                    ok = False
            if node.outcome.playbook and node.outcome.playbook not in playbook_ids:
                c.add(path, f"nodes[{node.id}].outcome.playbook", f"unknown playbook {node.outcome.playbook!r}")
                ok = False
    if not ok:
        return None
    # Every node reachable from the start, and no cycles: a walk always ends at an outcome.
    reached: set[str] = set()

    def visit(node_id: str, trail: tuple[str, ...]) -> None:
        nonlocal ok
        if node_id in trail:
            c.add(path, f"nodes[{node_id}]", f"cycle: {' -> '.join((*trail, node_id))}")
            ok = False
            return
        reached.add(node_id)
        for option in nodes[node_id].options or ():
            visit(option.next, (*trail, node_id))

    visit(tree.start, ())
    for node_id in nodes.keys() - reached:
        c.add(path, f"nodes[{node_id}]", f"node {node_id!r} cannot be reached from {tree.start!r}")
        ok = False
    return CompiledTree(tree) if ok else None


INCIDENT_FORM_MESSAGES = "incident_form"  # the report form's own pause, cancel, resume and finish


def _load_incident(
    c: _Collector, path: Path, contact_ids: set[str], playbook_ids: set[str]
) -> tuple[IncidentConfig | None, CompiledFlow | None]:
    from bot.content.loader import _check_flow, _value_problem

    config = c.model(path, IncidentConfig)
    if config is None:
        return None, None
    ok = _check_flow(c, path, 0, INCIDENT_FLOW, [config.form.id], {config.form.id: (path, config.form)})
    questions: dict[str, Question] = {
        item.id: item for section in config.form.sections for item in section.items if isinstance(item, Question)
    }
    levels = [level.id for level in config.levels]
    if config.default_level not in levels:
        c.add(path, "default_level", f"unknown level {config.default_level!r}")
        ok = False
    for level, hours in config.quiet_reminder_desk_hours.items():
        if level not in levels or hours <= 0:
            c.add(path, f"quiet_reminder_desk_hours.{level}", f"needs a level ({', '.join(levels)}) and hours above 0")
            ok = False
    for index, rule in enumerate(config.rules):
        if rule.level not in levels:
            c.add(path, f"rules[{index}].level", f"unknown level {rule.level!r} (levels: {', '.join(levels)})")
            ok = False
        for condition in [*(rule.any or []), *(rule.all or [])]:
            ok &= _check_condition(c, path, f"rules[{index}]", condition, questions, _value_problem)
    category = questions.get(config.category_question)
    if category is None or category.type != "choice":
        c.add(path, "category_question", f"{config.category_question!r} is not a choice question of the form")
        ok = False
    else:
        values = {o.value for o in category.options or ()}
        for missing in sorted(values - set(config.categories)):
            c.add(path, "categories", f"category {missing!r} has no entry")
            ok = False
        for extra in sorted(set(config.categories) - values):
            c.add(path, f"categories.{extra}", f"{extra!r} is not an option of {category.id!r}")
            ok = False
    for name, route in config.categories.items():
        if route.playbook and route.playbook not in playbook_ids:
            c.add(path, f"categories.{name}.playbook", f"unknown playbook {route.playbook!r}")
            ok = False
        if route.playbook and route.contacts:
            # One list per kind of incident: two drifted apart (a review finding).
            c.add(path, f"categories.{name}.contacts",
                  f"a category with a playbook takes the playbook's contacts (playbooks/{route.playbook}.yaml): remove them here")
            ok = False
        for field, ids in (("contacts", route.contacts), ("after_hours", route.after_hours or [])):
            for contact in ids:
                if contact not in contact_ids:
                    c.add(path, f"categories.{name}.{field}", f"unknown contact {contact!r}")
                    ok = False
    for question_id in config.summary_questions:
        if question_id not in questions:
            c.add(path, "summary_questions", f"{question_id!r} is not a question of the form")
            ok = False
    for section in config.report_sections:
        for question_id in section.questions:
            if question_id not in questions:
                c.add(path, f"report_sections[{section.id}].questions", f"{question_id!r} is not a question of the form")
                ok = False
    if not ok:
        return None, None
    definition = FlowDef(
        id=INCIDENT_FLOW, title=config.form.title, parts=[config.form.id], source=config.source,
        messages=INCIDENT_FORM_MESSAGES,
    )
    return config, CompiledFlow(definition, config.form.sections)


def _check_condition(c, path, where, condition: Condition, questions, value_problem) -> bool:
    target = questions.get(condition.question)
    if target is None:
        c.add(path, f"{where}.question", f"{condition.question!r} is not a question of the form")
        return False
    problem = value_problem(target, condition)
    if problem:
        c.add(path, where, problem)
        return False
    return True


def _check_calendar(c: _Collector, path: Path, programme: Programme) -> None:
    """The calendar's cross-references: the hearing nudge names a planned visit, each course once."""
    codes = [course.code for course in programme.courses]
    if len(set(codes)) != len(codes):
        c.add(path, "courses", f"a course is listed twice: {', '.join(codes)}")
    nudge = programme.reminders.hearing_nudge
    if nudge is not None and (programme.visits is None or programme.visits.visit(nudge.visit) is None):
        c.add(path, "reminders.hearing_nudge.visit", f"visit {nudge.visit} is not in visits.plan")
    if programme.reminders.event and programme.events is None:
        c.add(path, "reminders.event", "event reminders are set but there are no events.kinds")


def _with_playbook_contacts(incident: IncidentConfig, playbooks: dict[str, Playbook]) -> IncidentConfig:
    """A category with a playbook is routed to the playbook's contacts, in the playbook's order."""
    categories = {
        name: route.model_copy(update={"contacts": list(playbooks[route.playbook].contacts)})
        if route.playbook in playbooks and not route.contacts else route
        for name, route in incident.categories.items()
    }
    return incident.model_copy(update={"categories": categories})
