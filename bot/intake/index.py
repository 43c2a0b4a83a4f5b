"""Rank the targets for one message: BM25 over each target's phrases (rank-bm25), with rapidfuzz
for the typos n-grams do not absorb.

One BM25 document per phrase, and a target scores as its best phrase: a message usually says one
thing the way one phrase does, and a target with many phrases is not favoured for having them.
Each match has a ranking score and an overlap (0..1, how much the message and its best phrase
share); content/intake.yaml's thresholds are on the overlap and on the lead in score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rank_bm25 import BM25Okapi  # type: ignore[import-untyped]  # no stubs; a small pure-Python package
from rapidfuzz import fuzz

from bot.intake.normalise import Normaliser
from bot.intake.targets import Target

# Weights measured on tests/intake_cases.yaml with bench/intake.py: top-1 0.84 with the message's
# coverage alone, 0.85 with BM25 added, 0.89 with rapidfuzz's ratio added (partial_ratio and
# token_set_ratio did no better and cost more), 0.91 (top-3 0.98) once the message's share is
# taken over all of the target's phrases. The overlap weighs that share (precision) over the best
# phrase's share in the message (recall): F0.5.
BM25_WEIGHT = 0.3  # a phrase's BM25 score relative to the best phrase's
OVERLAP_WEIGHT = 0.5
FUZZY_WEIGHT = 0.2
BETA2 = 0.25  # beta squared of the F-measure


@dataclass(frozen=True)
class Match:
    target: Target
    score: float  # 0..1, what the targets are ranked by
    overlap: float  # 0..1, how much the message and the best phrase share (how sure the match is)
    phrase: str  # the phrase that matched best (for `helpdesk intake try` and content check)


class IntakeIndex:
    def __init__(
        self, targets: Sequence[Target], synonyms: Mapping[str, Sequence[str]], fillers: Sequence[str] = (),
    ) -> None:
        self.targets = list(targets)
        self.normaliser = Normaliser(synonyms, fillers)
        self._owner: list[int] = []  # phrase number -> target number
        self._phrases: list[str] = []
        self._texts: list[str] = []  # each phrase as the normaliser reads it, for rapidfuzz
        corpus: list[list[str]] = []
        for number, target in enumerate(self.targets):
            for phrase in target.phrases:
                self._owner.append(number)
                self._phrases.append(phrase)
                text = self.normaliser.text(phrase)
                self._texts.append(text)
                corpus.append(self.normaliser.tokens_of(text) or ["\0"])
        self._token_sets = [set(tokens) for tokens in corpus]
        # Only phrases sharing a token with the message are scored: a few dozen of several hundred.
        self._postings: dict[str, list[int]] = defaultdict(list)
        for number, tokens in enumerate(self._token_sets):
            for token in tokens:
                self._postings[token].append(number)
        self._bm25 = BM25Okapi(corpus)
        # The weight of a token no phrase has: as rare as the rarest known one, so words the
        # content never mentions lower the coverage instead of being ignored.
        self._unknown_idf = max(self._bm25.idf.values(), default=1.0)
        self._token_weights = [[(t, self._weight(t)) for t in tokens] for tokens in self._token_sets]
        self._phrase_weight = [sum(w for _, w in pairs) for pairs in self._token_weights]
        # Every token of a target's phrases: a message may say two things its phrases say apart
        # (暗号化 in one, 身代金 in another), and both count for that target.
        self._target_tokens: list[set[str]] = [set() for _ in self.targets]
        for number, tokens in enumerate(self._token_sets):
            self._target_tokens[self._owner[number]] |= tokens

    def rank(self, text: str, limit: int = 3, exclude: int | None = None) -> list[Match]:
        """The best `limit` targets, best first; targets sharing nothing with the text are left out.
        `exclude`: a phrase number to leave out (content check asks where each phrase goes without itself)."""
        normalised = self.normaliser.text(text)
        tokens = self.normaliser.tokens_of(normalised)
        if not tokens:
            return []
        query = list(dict.fromkeys(tokens))
        weights = {t: self._weight(t) for t in query}
        total = sum(weights.values())
        numbers = sorted({n for t in query for n in self._postings.get(t, ()) if n != exclude})
        if not numbers:
            return []
        scores = self._bm25.get_batch_scores(query, numbers)
        top = max(max(scores), 1e-9)
        best: dict[int, tuple[float, float, int]] = {}
        shares: dict[int, float] = {}  # target -> the share of the message its phrases have
        for number, bm in zip(numbers, scores):
            owner = self._owner[number]
            if owner not in shares:
                said = self._target_tokens[owner]
                shares[owner] = sum(w for t, w in weights.items() if t in said) / total
            overlap = self._overlap(shares[owner], weights, number)
            score = (
                BM25_WEIGHT * float(bm) / top + OVERLAP_WEIGHT * overlap
                + FUZZY_WEIGHT * fuzz.ratio(normalised, self._texts[number]) / 100
            )
            if owner not in best or score > best[owner][0]:
                best[owner] = (score, overlap, number)
        ranked = sorted(best.items(), key=lambda item: item[1][0], reverse=True)[:limit]
        return [
            Match(self.targets[owner], round(min(score, 1.0), 4), round(overlap, 4), self._phrases[number])
            for owner, (score, overlap, number) in ranked
        ]

    def _overlap(self, precision: float, weights: Mapping[str, float], number: int) -> float:
        """F0.5 of the shared tokens' weight: the share of the message the target's phrases have
        (precision) and the share of this phrase the message has (recall)."""
        recall = sum(w for t, w in self._token_weights[number] if t in weights) / self._phrase_weight[number]
        if precision + recall == 0:
            return 0.0
        return (1 + BETA2) * precision * recall / (BETA2 * precision + recall)

    def _weight(self, token: str) -> float:
        return max(self._bm25.idf.get(token, self._unknown_idf), 0.0) or 1e-3

    def target(self, key: str) -> Target | None:
        return next((t for t in self.targets if t.key == key), None)

    @property
    def phrase_count(self) -> int:
        return len(self._phrases)

    def phrase(self, number: int) -> tuple[Target, str]:
        return self.targets[self._owner[number]], self._phrases[number]
