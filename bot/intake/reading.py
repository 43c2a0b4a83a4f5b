"""How sure the intake is about one message: the ranked targets and whether the best is a clear
match (content/intake.yaml's confident_score and confident_margin)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.intake.index import IntakeIndex, Match
from bot.intake.targets import targets_of

if TYPE_CHECKING:
    from bot.content.loader import Content

# What the intake reads of a message: people describe a situation in a sentence or two; the rest
# of a long paste (a whole mail with its headers) would only slow matching and blur it.
READ_CHARS = 400
MIN_CHARS = 2  # one character ("あ", "?") says nothing to match on

_indexes: dict[int, tuple[Content, IntakeIndex]] = {}


def index_for(content: Content) -> IntakeIndex:
    """One index per content set, built on first use (~40 ms) and kept: content is loaded once."""
    held = _indexes.get(id(content))
    if held is None or held[0] is not content:
        lexicon = content.words.lexicon
        held = (content, IntakeIndex(targets_of(content), lexicon.synonyms, lexicon.fillers))
        _indexes[id(content)] = held
    return held[1]


@dataclass(frozen=True)
class Reading:
    text: str  # what was read (cut to READ_CHARS)
    matches: list[Match]
    confident: bool
    too_short: bool = False

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @property
    def urgent(self) -> Match | None:
        """The best match when it is clear and its first steps should be shown at once."""
        best = self.best
        return best if self.confident and best is not None and best.target.urgent else None


def read(content: Content, text: str) -> Reading:
    config = content.intake
    read_text = text.strip()[:READ_CHARS]
    if len(read_text) < MIN_CHARS:
        return Reading(read_text, [], False, too_short=True)
    limit = config.candidates if config else 3
    matches = index_for(content).rank(read_text, limit=max(limit, 2))
    if config is None:
        return Reading(read_text, matches[:limit], False)
    matches = [m for m in matches if m.overlap >= config.candidate_overlap]
    confident = False
    if matches:
        lead = matches[0].score - (matches[1].score if len(matches) > 1 else 0.0)
        confident = matches[0].overlap >= config.confident_overlap and lead >= config.confident_margin
    return Reading(read_text, matches[:limit], confident)
