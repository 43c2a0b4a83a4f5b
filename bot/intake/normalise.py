"""Free text to the tokens the intake index compares: NFKC, lower case, hiragana read as katakana,
the lexicon's synonyms read as their word, then character n-grams.

Japanese has no spaces, so words are not split: runs of Japanese characters give character
bigrams (and each kanji alone, since one kanji often carries the meaning: 盗, 漏); Latin words are
kept whole, with a light English stem so "leaked" and "leaks" meet "leak". Both languages go
through the same index, which is why a synonym may map an English word to a Japanese one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from bot.engine.parse import clean_text

_HIRAGANA = re.compile("[\u3041-\u3096]")
# Kana, kanji and the long-vowel mark: the characters of a Japanese run.
_JAPANESE = "\u30a1-\u30fa\u30fc\u4e00-\u9fff\u3400-\u4dbf\u3005"
_RUNS = re.compile(f"[{_JAPANESE}]+|[a-z0-9]+(?:[-'][a-z0-9]+)*")
_KANJI = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\u3005]")
_LATIN = re.compile("[a-z0-9]")
# Words that say nothing about what happened; kept out so "I", "the" and "my" do not decide a match.
_STOP = frozenset([
    "a", "an", "the", "i", "me", "my", "we", "our", "us", "you", "your", "it", "its", "is", "are",
    "was", "were", "be", "been", "am", "to", "of", "in", "on", "at", "for", "by", "with", "and",
    "or", "but", "so", "this", "that", "there", "some", "any", "do", "does", "did", "have", "has",
    "had", "can", "could", "should", "would", "will", "please", "just", "now", "what", "how",
    "when", "where", "which", "who",
])
_SUFFIXES = ("ing", "ed", "es", "s")


def to_katakana(text: str) -> str:
    return _HIRAGANA.sub(lambda m: chr(ord(m.group(0)) + 0x60), text)


def fold(text: str) -> str:
    """The form every phrase and message is compared in (before synonyms)."""
    return to_katakana(clean_text(text).lower())


class Normaliser:
    """Built once from the lexicon's synonyms and fillers: one pattern each, longest spelling first."""

    def __init__(self, synonyms: Mapping[str, Sequence[str]], fillers: Sequence[str] = ()) -> None:
        table: dict[str, str] = {}
        for word, variants in synonyms.items():
            canonical = fold(word)
            for spelling in (word, *variants):
                table.setdefault(fold(spelling), canonical)
        self._table = table
        self._pattern = _alternation(table)
        self._fillers = _alternation(fold(f) for f in fillers if f.strip())

    def text(self, raw: str) -> str:
        folded = fold(raw)
        if self._fillers is not None:
            folded = self._fillers.sub(" ", folded)
        if self._pattern is None:
            return folded
        # A canonical word in front of a Latin word needs a space, or the two would run together.
        return self._pattern.sub(lambda m: f" {self._table[m.group(0)]} ", folded)

    def tokens(self, raw: str) -> list[str]:
        return self.tokens_of(self.text(raw))

    def tokens_of(self, text: str) -> list[str]:
        """The tokens of a text already read by `text`."""
        out: list[str] = []
        for run in _RUNS.findall(text):
            if _LATIN.match(run):
                if run not in _STOP:
                    out.append(_stem(run))
                continue
            out.extend(_KANJI.findall(run))
            if len(run) == 1:
                out.append(run)  # a lone kana word (rare) still counts
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        return out


def _alternation(spellings: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for all spellings, longest first. A Latin end matches at a word boundary only
    ('hp' must not match inside 'php'); spellings are grouped by which ends are Latin, so each group
    checks its boundary once instead of once per spelling (this pattern runs on every message)."""
    groups: dict[tuple[bool, bool], list[str]] = {}
    for spelling in sorted(set(spellings), key=len, reverse=True):
        if spelling:
            ends = (bool(_LATIN.match(spelling[0])), bool(_LATIN.match(spelling[-1])))
            groups.setdefault(ends, []).append(re.escape(spelling))
    if not groups:
        return None
    parts = []
    for (latin_start, latin_end), escaped in sorted(groups.items(), reverse=True):
        parts.append(
            ("(?<![a-z0-9])" if latin_start else "") + "(?:" + "|".join(escaped) + ")" + ("(?![a-z0-9])" if latin_end else "")
        )
    return re.compile("|".join(parts))


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word
