"""`helpdesk content check` for the intake's phrases: a phrase that matches another target
clearly (with the overlap of a clear match, content/intake.yaml's confident_overlap) and better
than its own target's other phrases says two targets' phrases say the same thing, and a person
typing it would be sent to the other one. Phrases that are merely unlike their siblings are fine:
that is what several phrases per target are for. A leaf and the incident category it offers to
report lead to the same place, so their phrases may overlap.

These are warnings, not errors: the bot still starts, and the secretariat decides which phrase
to reword (`helpdesk intake try` shows why a sentence goes where it goes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.intake.reading import index_for

if TYPE_CHECKING:
    from bot.content.loader import Content


@dataclass(frozen=True)
class Overlap:
    target: str  # the phrase's own target key
    phrase: str
    leads_to: str  # the target it reaches first without itself
    via: str  # that target's phrase it matched

    def __str__(self) -> str:
        return f"{self.target}: example {self.phrase!r} leads to {self.leads_to} first (its phrase {self.via!r})"


def overlapping_phrases(content: Content) -> list[Overlap]:
    index = index_for(content)
    family = _leaf_categories(content)
    clear = content.intake.confident_overlap if content.intake else 1.0
    found = []
    for number in range(index.phrase_count):
        target, phrase = index.phrase(number)
        ranked = index.rank(phrase, limit=1, exclude=number)
        if not ranked or ranked[0].target.key == target.key or ranked[0].overlap < clear:
            continue
        if {target.key, ranked[0].target.key} in family:
            continue
        found.append(Overlap(target.key, phrase, ranked[0].target.key, ranked[0].phrase))
    return found


def _leaf_categories(content: Content) -> list[set[str]]:
    tree = content.response.triage
    return [
        {f"leaf:{node.id}", f"category:{node.outcome.report_category}"}
        for node in (tree.tree.nodes if tree else ())
        if node.outcome is not None and node.outcome.report_category
    ]
