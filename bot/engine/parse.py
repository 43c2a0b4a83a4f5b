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

from bot.content.models import Lexicon, Option, Text

# Characters removed from every message: control characters other than newline and tab, and the
# invisible direction/zero-width marks that can disguise text in a report. ZWJ (U+200D) stays:
# emoji sequences need it.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
_TRAILING_PUNCT = "。．.!！、,"


class Reprompt(ValueError):
    """The answer does not fit; `key` names the one-line message that says what is expected.
    A param may be a `Text` or `Candidates`: render.reprompt_text says it in the person's language."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Candidates:
    """The options a typed word could mean, with their numbers as shown: the re-prompt asks which."""

    options: tuple[tuple[int, Text], ...]


class Ambiguous(Reprompt):
    """A word that fits several options. Nothing is recorded: the person is asked which one."""

    def __init__(self, part: str, found: Sequence[tuple[int, Option]]) -> None:
        super().__init__("reprompt.ambiguous", part=part, candidates=Candidates(tuple((n, o.label) for n, o in found)))


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
    def unknown(self) -> frozenset[str]:
        return frozenset(word_key(w) for w in self.lexicon.unknown)

    @cached_property
    def reserved(self) -> frozenset[str]:
        """Words with a meaning of their own (yes, no, 分からない, commands): never read as a piece
        of an option's label, so `no` is not "Not possible from outside"."""
        return self.yes | self.no | self.unknown | frozenset(self.commands)

    @cached_property
    def kanji(self) -> dict[str, int]:
        return {**self.lexicon.kanji_digits, **self.lexicon.kanji_units}

    @cached_property
    def kanji_run(self) -> re.Pattern[str]:
        # Not right after a digit: in 「3千」 the 千 multiplies (Words.multipliers), it is no number.
        return re.compile("(?<![0-9])[" + re.escape("".join(self.kanji)) + "]+") if self.kanji else re.compile("(?!)")

    @cached_property
    def number_words(self) -> dict[str, int]:
        return {word_key(w): n for w, n in self.lexicon.number_words.items()}

    @cached_property
    def articles(self) -> frozenset[str]:
        return frozenset(word_key(w) for w in self.lexicon.articles)

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
        joining = sorted((word_key(w) for w in self.lexicon.list_words), key=len, reverse=True)
        # A joining word written in letters ("and") is one only as a whole word; と needs no spaces.
        alternatives = [
            rf"\s+{re.escape(w)}\s+" if w.isascii() else rf"\s*{re.escape(w)}\s*" for w in joining if w
        ]
        return re.compile("|".join([*alternatives, "[" + re.escape(marks) + "]+"]))

    @cached_property
    def approx_date_patterns(self) -> list[re.Pattern[str]]:
        return [re.compile(p, re.IGNORECASE) for p in self.lexicon.approx_date_patterns]

    @cached_property
    def relative_years(self) -> dict[str, int]:
        return {word_key(w).replace(" ", ""): n for w, n in self.lexicon.relative_years.items()}


def numeral(key: str, words: Words) -> int | None:
    """A whole number as people write it: 4, 三, 十五, two, twenty one; None if it is not one."""
    if key.isdecimal():  # not isdigit(): "²" or "᧚" are digits that int() refuses
        return int(key) if len(key) <= 6 else None
    if key and all(ch in words.kanji for ch in key):
        return _kanji_number(key, words)
    tokens = [t for t in re.split(r"[\s\-]+", key) if t]
    if tokens and all(t in words.number_words for t in tokens):
        total = 0
        for token in tokens:
            n = words.number_words[token]
            total = max(total, 1) * n if n == 100 else total + n
        return total
    return None


def _kanji_number(text: str, words: Words) -> int | None:
    digits, units = words.lexicon.kanji_digits, words.lexicon.kanji_units
    total, digit = 0, None
    for ch in text:
        if ch in digits:
            if digit is not None:  # 「二三」 is no number (二十三 is)
                return None
            digit = digits[ch]
        else:
            total += (1 if digit is None else digit) * units[ch]
            digit = None
    return total + (digit or 0)


def spell_numerals(key: str, words: Words, *, articles: bool = False) -> str:
    """Numbers written in words become digits inside a longer answer: 「三ヶ月」 → 3ヶ月, "two days"
    → 2 days; with `articles`, "a day" → 1 day (only a length of time reads "a" as one)."""
    key = words.kanji_run.sub(lambda m: str(n) if (n := _kanji_number(m.group(), words)) is not None else m.group(), key)
    if key.isascii() and any(ch.isalpha() for ch in key):
        out: list[str] = []
        run: list[str] = []
        for token in [*key.split(" "), ""]:  # "" flushes the last run
            if token and all(t in words.number_words for t in token.split("-") if t):
                run.append(token)
                continue
            if run:
                out.append(str(numeral(" ".join(run), words)))
                run = []
            if token:
                out.append("1" if articles and token in words.articles else token)
        key = " ".join(out)
    return key


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


def means_unknown(option: Option, words: Words) -> bool:
    """The option is 分からない itself (not "Other / not sure", which is also something else)."""
    return option.value == "unknown" or any(word_key(label) in words.unknown for label in (option.label.ja, option.label.en))


def unknown_option(options: Sequence[Option], words: Words) -> Option | None:
    """The option 分からない typed is recorded as: 分からない itself, else one that includes it
    (「その他・分からない」, "Other / not sure"); None if the question has neither."""
    exact = next((o for o in options if means_unknown(o, words)), None)
    if exact is not None:
        return exact
    return next(
        (o for o in options
         if any(p.strip() in words.unknown for label in (o.label.ja, o.label.en) for p in words.separators.split(word_key(label)))),
        None,
    )


_LABEL_HEAD = re.compile(r"\s+-\s+|[（(、,]")


def _polarity(option: Option, words: Words) -> bool | None:
    """Whether an option says yes (ある, "Yes, regularly") or no (ない, "No (only on ...)"): its label's
    first words, before any explanation in brackets or after a comma."""
    for label in (option.label.ja, option.label.en):
        head = _LABEL_HEAD.split(word_key(label), maxsplit=1)[0].strip()
        if head in words.yes:
            return True
        if head in words.no:
            return False
    return None


def _within(key: str, label: str, *, whole_word: bool) -> bool:
    """`key` is a piece of `label`: 兼任 in 他の仕事と兼任の担当者; letters only from a word's start
    ("win" for Windows, "mac"), never inside a word, and with `whole_word` only as whole words."""
    if key.isascii():
        end = r"(?![a-z0-9])" if whole_word else ""
        return re.search(r"(?<![a-z0-9])" + re.escape(key) + end, label) is not None
    return key in label


def _holds(key: str, label: str) -> bool:
    """`label` appears whole inside what was typed: Windows in 「Windows 10」."""
    if len(label) < 2:
        return False
    if label.isascii():
        return re.search(r"(?<![a-z0-9])" + re.escape(label) + r"(?![a-z0-9])", key) is not None
    return label in key


def _pieces_of(key: str, options: Sequence[Option], words: Words, *, whole_word: bool = False) -> list[Option]:
    return [
        o for o in options
        if _within(key, word_key(o.label.ja), whole_word=whole_word) or _within(key, word_key(o.label.en), whole_word=whole_word)
    ]


def _only(key: str, options: Sequence[Option], found: list[Option]) -> Option | None:
    if len(found) > 1:
        raise Ambiguous(key, [(options.index(o) + 1, o) for o in found])
    return found[0] if found else None


def _option_by_word(key: str, options: Sequence[Option], words: Words) -> Option | None:
    """The option one typed word means, None if none, Ambiguous if several could be meant."""
    number = numeral(key, words)
    if number is not None:  # the option's number; a number inside a label is part of a word
        return options[number - 1] if 1 <= number <= len(options) else None
    for option in options:
        if key in (word_key(option.label.ja), word_key(option.label.en), option.value.lower()):
            return option
    if key in words.unknown:
        return unknown_option(options, words)
    if key in words.yes or key in words.no:  # あり for ある, いいえ for "No, there is none"
        found = [o for o in options if _polarity(o, words) is (key in words.yes)]
        if found:
            return _only(key, options, found)
    if len(key) < 2:
        return None
    # A word of its own (no, 使っている) is found whole in a label, never as the start of another
    # word: `no` is not "Not possible from outside".
    whole = key in words.reserved
    found = _pieces_of(key, options, words, whole_word=whole)
    if whole:  # ない ends 分からない too, but says no such thing
        found = [o for o in found if o is not unknown_option(options, words)]
    if not found:
        labels = [(o, word_key(o.label.ja), word_key(o.label.en)) for o in options]
        found = [o for o, ja, en in labels if _holds(key, ja) or _holds(key, en)]
    return _only(key, options, found)


def parse_choice(text: str, options: Sequence[Option], words: Words) -> str:
    key = word_key(text)
    option = _option_by_word(key, options, words)
    if option is None:
        if numeral(key, words) is not None:
            raise Reprompt("reprompt.choice_range", n=len(options))
        raise Reprompt("reprompt.choice", n=len(options))
    return option.value


def parse_multi_choice(text: str, options: Sequence[Option], words: Words) -> list[str]:
    key = word_key(text)
    for whole in options:  # a label may itself contain a separator
        if key in (word_key(whole.label.ja), word_key(whole.label.en), whole.value.lower()):
            return [whole.value]
    chosen: list[str] = []
    for part in _choice_parts(key, options, words):
        option = _option_by_word(part, options, words)
        if option is None:
            raise Reprompt("reprompt.multi_choice", n=len(options), part=part)
        if option.value not in chosen:
            chosen.append(option.value)
    if not chosen:
        raise Reprompt("reprompt.multi_choice", n=len(options), part=key)
    return [o.value for o in options if o.value in chosen]  # in the order shown


def _choice_parts(key: str, options: Sequence[Option], words: Words) -> list[str]:
    """The choices of a multi-choice answer. Labels may hold spaces ("Microsoft 365"): spaces
    separate only when nothing else does, and then the longest run of words that names one option
    is one choice (「Windows 10」 is Windows, not Windows and option 10; "google workspace" is one)."""
    if words.separators.search(key):
        return [p.strip() for p in words.separators.split(key) if p and p.strip()]
    tokens = key.split()[:50]  # no list of choices is longer; a pasted text is not walked word by word
    parts: list[str] = []
    start = 0
    while start < len(tokens):
        end = start + 1
        for stop in range(len(tokens), start + 1, -1):
            if len(_pieces_of(" ".join(tokens[start:stop]), options, words)) == 1:
                end = stop
                break
        run = " ".join(tokens[start:end])
        if parts and run.isdecimal() and not parts[-1].isdecimal() and _names_one(f"{parts[-1]} {run}", options, words):
            parts[-1] = f"{parts[-1]} {run}"
        else:
            parts.append(run)
        start = end
    return parts


def _names_one(key: str, options: Sequence[Option], words: Words) -> bool:
    try:
        return _option_by_word(key, options, words) is not None
    except Ambiguous:
        return False


def parse_number(
    text: str,
    words: Words,
    *,
    minimum: float | None,
    maximum: float | None,
    integer: bool,
    unit_words: Sequence[str] = (),
) -> int | float:
    key = spell_numerals(word_key(text), words)  # 「三人」, "fifteen pcs", "two"
    key = _strip_approx(key.replace(",", "").replace(" ", ""), words)
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
    """Minutes. 「4時間」「半日」「2日」「30分」「1時間半」「一日」「1日分」, "2 hours", "2h30m", "a day"."""
    key = _strip_approx(word_key(text), words)
    if key in words.duration_words:
        return words.duration_words[key]
    key = spell_numerals(key, words, articles=True)
    worth = words.lexicon.duration_worth
    before = key[: -len(worth)].rstrip() if worth and key.endswith(worth) else ""
    if before and not before[-1].isdigit():
        key = before  # 「1日分」 is one day; 「30分」 (after a number) stays minutes
    if key in words.duration_words:  # 「丸一日」, 「半日分」
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


def parse_approx_date(
    text: str, words: Words, *, today: date, not_future: bool = False, not_past: bool = False
) -> str:
    """For questions where an approximate date is enough: 「令和5年12月」「2023年」「去年」「12月」 as the
    month or year they name ("2023-12", "2023": ISO 8601 with less precision), a full date as one."""
    key = _strip_approx(word_key(text).replace(" ", ""), words)
    year: int | None = None
    month: int | None = None
    if key in words.relative_years:
        year = today.year + words.relative_years[key]
    else:
        for pattern in words.approx_date_patterns:
            match = pattern.fullmatch(key)
            if match:
                year, month = _approx_parts(match.groupdict(), words, today, not_future=not_future, not_past=not_past)
                break
        else:
            day = parse_date(text, words, today=today, not_future=not_future, not_past=not_past)
            return day.isoformat()
    assert year is not None
    if month is not None and not 1 <= month <= 12:
        raise Reprompt("reprompt.date_invalid")
    now = (today.year, today.month)
    # A year or a month is a span: in the future only if it starts after this month, past only if
    # it ends before it (「今年」 is neither).
    if not_future and (year, month or 1) > now:
        raise Reprompt("reprompt.date_future", today=today.isoformat())
    if not_past and (year, month or 12) < now:
        raise Reprompt("reprompt.date_past", today=today.isoformat())
    return f"{year:04d}" if month is None else f"{year:04d}-{month:02d}"


def _approx_parts(
    parts: dict[str, str | None], words: Words, today: date, *, not_future: bool, not_past: bool
) -> tuple[int, int | None]:
    given_month = parts.get("m")
    month = int(given_month) if given_month else None
    year_given = parts.get("y")
    if parts.get("era"):
        era_year = 1 if year_given == word_key(words.lexicon.first_year_word) else int(year_given or 0)
        return words.eras[word_key(parts["era"] or "")] + era_year, month
    if year_given:
        return int(year_given), month
    year = today.year  # 「12月」: the nearest such month in the direction the question allows
    if month is not None and not_future and month > today.month:
        year -= 1
    elif month is not None and not_past and month < today.month:
        year += 1
    return year, month


def parse_text(text: str, *, max_length: int) -> str:
    if not text:
        raise Reprompt("reprompt.empty")
    if len(text) > max_length:
        raise Reprompt("reprompt.too_long", max=max_length, length=len(text))
    return text
