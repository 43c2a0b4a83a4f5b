"""Phone-sized first replies (issue 17): the few steps to take now, the rest one button away.

A filed report and a quick-list leaf first answer with at most `PHONE_LINES` lines: the most urgent
`FIRST_STEPS` steps and buttons for the parts left out (the full checklist, the contacts, the
report's details). A button's value is "show:<part>"; the message's question ref names what it
belongs to ("inc:<incident id>", "leaf:<node id>"), so a press under an old message shows that
message's incident or leaf, not the latest one.
"""

from __future__ import annotations

from typing import Sequence, TypeVar

from bot.engine.messages import Choice
from bot.engine.render import Speaker

PHONE_LINES = 15  # what one phone screen shows of a chat message (issue 17)
FIRST_STEPS = 3  # the steps a first reply shows; the full checklist has the rest

SHOW = "show"
CHECKLIST = "checklist"
CONTACTS = "contacts"
DETAILS = "details"
PARTS = (CHECKLIST, CONTACTS, DETAILS)

T = TypeVar("T")


def part_buttons(parts: Sequence[str], sp: Speaker) -> tuple[Choice, ...]:
    return tuple(Choice(f"{SHOW}:{part}", sp.say(f"brief.button_{part}")) for part in parts)


def part_of(choice: str | None) -> str | None:
    """'show:contacts' -> 'contacts'; None for anything else (a forged or an old value)."""
    action, _, part = (choice or "").partition(":")
    return part if action == SHOW and part in PARTS else None


def most_urgent(items: Sequence[T], urgent: Sequence[bool], count: int = FIRST_STEPS) -> list[T]:
    """The first `count` items marked urgent, in content order, topped up with the first unmarked
    ones when fewer are marked: content orders its steps, and its marks say which cannot wait."""
    marked = [item for item, flag in zip(items, urgent) if flag]
    rest = [item for item, flag in zip(items, urgent) if not flag]
    return (marked + rest)[:count]
