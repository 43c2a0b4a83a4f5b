"""What free text can lead to: every triage leaf, every incident category and the bot's own tasks,
each with the phrases its content gives (`examples:` in ja and en)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.content.models import Examples, Text

if TYPE_CHECKING:
    from bot.content.loader import Content

Kind = Literal["leaf", "category", "task"]


@dataclass(frozen=True)
class Target:
    key: str  # "<kind>:<ref>": what a button carries and what tests/intake_cases.yaml names
    kind: Kind
    ref: str  # the leaf's node id, the category value, or the task id
    label: Text  # how the target is offered as a button
    phrases: tuple[str, ...]
    urgent: bool = False  # a leaf whose first steps are shown at once on a clear match


def _phrases(examples: Examples) -> tuple[str, ...]:
    return (*examples.ja, *examples.en)


def targets_of(content: Content) -> list[Target]:
    out: list[Target] = []
    tree = content.response.triage
    for node in tree.tree.nodes if tree else ():
        if node.outcome is not None and node.examples is not None:
            out.append(Target(
                f"leaf:{node.id}", "leaf", node.id, node.outcome.title, _phrases(node.examples), node.outcome.urgent,
            ))
    incident = content.response.incident
    if incident is not None:
        question = next(
            (item for section in incident.form.sections for item in section.items if item.id == incident.category_question),
            None,
        )
        labels = {o.value: o.label for o in getattr(question, "options", None) or ()}
        for name, route in incident.categories.items():
            if route.examples is not None and name in labels:
                out.append(Target(f"category:{name}", "category", name, labels[name], _phrases(route.examples)))
    for task in content.intake.tasks if content.intake else ():
        out.append(Target(f"task:{task.id}", "task", task.id, task.label, _phrases(task.examples)))
    return out
