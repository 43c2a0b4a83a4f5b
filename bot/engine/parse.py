"""Turn what people type into answer values.

Every parser takes text already cleaned by `clean_text` and returns a value, or raises `Reprompt`
naming the message (content/messages.yaml) that says what is expected. Words come from
content/lexicon.yaml, so this module holds no Japanese.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, Sequence

from bot.content.models import Lexicon, Option

# Characters removed from every message: control characters other than newline and tab, and the
# invisible direction/zero-width marks that can disguise text in a report. ZWJ (U+200D) stays:
# emoji sequences need it.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
_TRAILING_PUNCT = "。．.!！、,"


class Reprompt(ValueError):
    """The answer does not fit; `key` names the one-line message that says what is expected."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def clean_text(raw: str) -> str:
    """NFKC (full-width digits and spaces become ASCII), invisible characters dropped, trimmed."""
    text = unicodedata.normalize("NFKC", raw)
    text = _INVISIBLE.sub("", text)
    return text.strip()


def words_after(raw: str, count: int) -> str:
    """What follows the first `count` words of a message, as typed: "/event add --title （年末）"
    with 2 gives "--title （年末）". The router reads commands from the NFKC text; a handler that
    keeps people's text (a title, a broadcast) takes its arguments from here."""
    parts = verbatim(raw).split(None, count)
    return parts[count] if len(parts) > count else ""


def verbatim(raw: str) -> str:
    """What was typed, kept as typed for the record: only NUL (which PostgreSQL text cannot hold)
    and surrounding whitespace go."""
    return raw.replace("\x00", "").strip()


def word_key(text: str) -> str:
    """The form used to compare a typed word with the lexicon: lower case, one space, no end punctuation."""
    key = " ".join(clean_text(text).lower().split())
    return key.rstrip(_TRAILING_PUNCT).strip()


@dataclass(frozen=True)
class Words:
    """The lexicon prepared for matching: every word in its `word_key` form."""

    lexicon: Lexicon

    @cached_property
    def yes(self) -> frozenset[str]:
        return frozenset(word_key(w) for w in self.lexicon.yes)

    @cached_property
    def no(self) -> frozenset[str]:
        return frozenset(word_key(w) for w in self.lexicon.no)

    @cached_property
    def commands(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for name, words in self.lexicon.commands.model_dump().items():
            for word in words:
                table[word_key(word)] = name
        return table

    @cached_property
    def scale(self) -> dict[str, str]:
        return {word_key(w): level for level, ws in self.lexicon.scale.model_dump().items() for w in ws}

    @cached_property
    def duration_words(self) -> dict[str, int]:
        return {word_key(w): minutes for w, minutes in self.lexicon.duration_words.items()}

    @cached_property
    def duration_pattern(self) -> re.Pattern[str]:
        units = sorted(
            (word_key(w) for ws in self.lexicon.duration_units.values() for w in ws),
            key=len,
            reverse=True,
        )
        half = re.escape(word_key(self.lexicon.half))
        # Possessive quantifiers (Python 3.11+): digits once read are never given back, so a
        # failed attempt on a long digit string costs one pass over it, not one per digit.
        return re.compile(
            rf"(\d++(?:\.\d++)?+)\s*+({'|'.join(map(re.escape, units))})\s*+({half})?+\s*+"
        )

    @cached_property
    def unit_minutes(self) -> dict[str, int]:
        return {word_key(w): minutes for minutes, ws in self.lexicon.duration_units.items() for w in ws}

    @cached_property
    def relative_days(self) -> dict[str, int]:
        return {word_key(w): days for w, days in self.lexicon.relative_days.items()}

    @cached_property
    def date_patterns(self) -> list[re.Pattern[str]]:
        return [re.compile(p, re.IGNORECASE) for p in self.lexicon.date_patterns]

    @cached_property
    def time_patterns(self) -> list[re.Pattern[str]]:
        # Anchored at the end: the time of day follows the date, with or without a space.
        return [re.compile(f"(?:{p})$", re.IGNORECASE) for p in self.lexicon.time_patterns]

    @cached_property
    def eras(self) -> dict[str, int]:
        return {word_key(e): base for e, base in self.lexicon.eras.items()}

    @cached_property
    def approx(self) -> list[str]:
        return sorted((word_key(w) for w in self.lexicon.approx), key=len, reverse=True)

    @cached_property
    def multipliers(self) -> dict[str, int]:
        return {word_key(w): m for w, m in self.lexicon.multipliers.items()}

    @cached_property
    def separators(self) -> re.Pattern[str]:
        marks = clean_text(self.lexicon.list_separators).replace(" ", "")
        return re.compile("[" + re.escape(marks) + "]+")


def command_of(text: str, words: Words) -> str | None:
    """The flow command a message is (/back or 戻る → back), or None."""
    key = word_key(text)
    if key.startswith("/") and key[1:] in type(words.lexicon.commands).model_fields:
        return key[1:]
    return words.commands.get(key)


def parse_yes_no(text: str, words: Words) -> bool:
    key = word_key(text)
    if key in words.yes or key == "1":
        return True
    if key in words.no or key == "2":
        return False
    raise Reprompt("reprompt.yes_no")


SCALE_ORDER = ("high", "medium", "low")


def parse_scale(text: str, words: Words) -> str:
    key = word_key(text)
    if key in words.scale:
        return words.scale[key]
    if key in ("1", "2", "3"):
        return SCALE_ORDER[int(key) - 1]
    raise Reprompt("reprompt.scale")


def _option_by_word(key: str, options: Sequence[Option]) -> Option | None:
    if key.isdecimal():  # not isdigit(): "²" or "᧚" are digits that int() refuses
        index = int(key) if len(key) <= 6 else 0
        return options[index - 1] if 1 <= index <= len(options) else None
    for option in options:
        if key in (word_key(option.label.ja), word_key(option.label.en), option.value.lower()):
            return option
    # A unique prefix is enough ("win" for Windows): people on phones type as little as they can.
    found = [
        o for o in options
        if len(key) >= 2 and (word_key(o.label.ja).startswith(key) or word_key(o.label.en).startswith(key))
    ]
    return found[0] if len(found) == 1 else None


def parse_choice(text: str, options: Sequence[Option]) -> str:
    key = word_key(text)
    option = _option_by_word(key, options)
    if option is None:
        if key.isdecimal():
            raise Reprompt("reprompt.choice_range", n=len(options))
        raise Reprompt("reprompt.choice", n=len(options))
    return option.value


def parse_multi_choice(text: str, options: Sequence[Option], words: Words) -> list[str]:
    key = word_key(text)
    whole = _option_by_word(key, options)  # a label may itself contain a separator
    if whole is not None:
        return [whole.value]
    # Labels may hold spaces ("Microsoft 365"): split on spaces only when no other separator is used.
    parts = words.separators.split(key) if words.separators.search(key) else key.split()
    chosen: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        option = _option_by_word(part, options)
        if option is None:
            raise Reprompt("reprompt.multi_choice", n=len(options), part=part)
        if option.value not in chosen:
            chosen.append(option.value)
    if not chosen:
        raise Reprompt("reprompt.multi_choice", n=len(options), part=key)
    return [o.value for o in options if o.value in chosen]  # in the order shown


def parse_number(
    text: str,
    words: Words,
    *,
    minimum: float | None,
    maximum: float | None,
    integer: bool,
    unit_words: Sequence[str] = (),
) -> int | float:
    key = _strip_approx(word_key(text).replace(",", "").replace(" ", ""), words)
    for unit in sorted((word_key(u) for u in [*unit_words, *words.lexicon.counters]), key=len, reverse=True):
        if unit and key.endswith(unit):
            key = key[: -len(unit)]
    factor = 1
    for word, multiplier in words.multipliers.items():
        if key.endswith(word):
            key, factor = key[: -len(word)], multiplier
            break
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", key):
        raise Reprompt("reprompt.number", min=_fmt(minimum), max=_fmt(maximum))
    value = float(Decimal(key) * factor)  # exact: 1.28万 is 12800, not 12800.000000000002
    if not math.isfinite(value):
        raise Reprompt("reprompt.number", min=_fmt(minimum), max=_fmt(maximum))
    if integer:
        if value != int(value):
            raise Reprompt("reprompt.integer")
        value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise Reprompt("reprompt.number_range", min=_fmt(minimum), max=_fmt(maximum))
    return value


def _fmt(number: float | None) -> str:
    if number is None:
        return ""
    return str(int(number)) if number == int(number) else str(number)


def _strip_approx(key: str, words: Words) -> str:
    """Drop "about" words before or after the answer (約50人, 50人くらい, about 4 hours). Between two
    numbers one makes a range (2〜3日, 50〜60人), which is not one value: it stays, and parsing fails
    instead of reading 23 days."""
    changed = True
    while changed:
        changed = False
        for word in words.approx:
            if word and key.startswith(word):
                key, changed = key[len(word) :].strip(), True
            elif word and key.endswith(word):
                key, changed = key[: -len(word)].strip(), True
    return key


def parse_duration(text: str, words: Words) -> int:
    """Minutes. 「4時間」「半日」「2日」「30分」「1時間半」, "2 hours", "2h30m"."""
    key = _strip_approx(word_key(text), words)
    if key in words.duration_words:
        return words.duration_words[key]
    total = 0.0
    position = 0
    half = word_key(words.lexicon.half)
    # Each part is matched where the previous one ended, never searched for: a search restarts at
    # every later character, which made a 20,000-digit answer take a minute (bench/parse_duration.py).
    while position < len(key):
        match = words.duration_pattern.match(key, position)
        if match is None:
            break
        unit_minutes = words.unit_minutes[match.group(2)]
        amount = float(match.group(1)) + (0.5 if match.group(3) == half else 0)
        total += amount * unit_minutes
        position = match.end()
    if position == 0 or position != len(key):
        raise Reprompt("reprompt.duration")
    if total > 366 * 1440:
        raise Reprompt("reprompt.duration_range")
    return round(total)


def parse_date(
    text: str, words: Words, *, today: date, not_future: bool = False, not_past: bool = False
) -> date:
    key = _strip_approx(word_key(text).replace(" ", ""), words)  # 2023年5月頃 is an answer too
    if key in words.relative_days:
        value = today + timedelta(days=words.relative_days[key])
    else:
        value = _match_date(key, words, today, not_future=not_future, not_past=not_past)
    if not_future and value > today:
        raise Reprompt("reprompt.date_future", today=today.isoformat())
    if not_past and value < today:
        raise Reprompt("reprompt.date_past", today=today.isoformat())
    return value


def _match_date(key: str, words: Words, today: date, *, not_future: bool, not_past: bool) -> date:
    for pattern in words.date_patterns:
        match = pattern.fullmatch(key)
        if not match:
            continue
        parts = match.groupdict()
        year_given = parts.get("y")
        if parts.get("era"):
            era_year = 1 if year_given == word_key(words.lexicon.first_year_word) else int(year_given or 0)
            year = words.eras[word_key(parts["era"])] + era_year
        elif year_given:
            year = int(year_given)
        else:
            year = today.year
        try:
            value = date(year, int(parts["m"]), int(parts.get("d") or 1))
        except ValueError:
            raise Reprompt("reprompt.date_invalid") from None
        if not year_given:
            # 「12月3日」 means the nearest such day in the direction the question allows.
            try:
                if not_future and value > today:
                    value = value.replace(year=year - 1)
                elif not_past and value < today:
                    value = value.replace(year=year + 1)
            except ValueError:  # 2月29日 moved into a year that has none
                raise Reprompt("reprompt.date_invalid") from None
        return value
    raise Reprompt("reprompt.date")


def parse_text(text: str, *, max_length: int) -> str:
    if not text:
        raise Reprompt("reprompt.empty")
    if len(text) > max_length:
        raise Reprompt("reprompt.too_long", max=max_length, length=len(text))
    return text
