"""Company names as people type them: one key for comparing (NFKC, so 「株式会社ｻﾝﾌﾟﾙ」 is
「株式会社サンプル」, spaces collapsed, case folded), the checks a new name must pass, and the
registered names closest to a mistyped one (rapidfuzz). A name is stored as typed; only the
comparison is normalised."""

from __future__ import annotations

import unicodedata

from rapidfuzz import fuzz, process

# Longer than any company name of the programme's list, shorter than the column (200).
MAX_NAME = 100
# How close a registered name must be to be offered (WRatio, 0-100); a shared 株式会社 alone is not.
SUGGEST_CUTOFF = 70


def name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def name_problem(name: str) -> str | None:
    """The message key of what is wrong with a new company name, or None."""
    key = name_key(name)
    if not key:
        return "company.name_empty"
    if len(key) > MAX_NAME:
        return "company.name_too_long"
    return None


def closest(typed: str, names: list[str], limit: int = 3) -> list[str]:
    """The registered names a typo most likely meant, best first."""
    keys = {name: name_key(name) for name in names}
    found = process.extract(name_key(typed), keys, scorer=fuzz.WRatio, score_cutoff=SUGGEST_CUTOFF, limit=limit)
    return [name for _key, _score, name in found]
