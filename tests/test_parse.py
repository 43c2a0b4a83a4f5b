"""The input parsers (bot/engine/parse.py) with the real lexicon (content/lexicon.yaml).

Example-based tests pin what people type; the property tests (hypothesis) check whole families of
answers and that no text at all makes a parser fail with anything but a Reprompt: a person must
always get a one-line "please answer like this", never a stack trace.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property, partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.loader import load_content
from bot.content.models import Lexicon, Option
from bot.content.yamlio import load_yaml
from bot.engine.parse import (
    SCALE_ORDER,
    Reprompt,
    Words,
    clean_text,
    command_of,
    parse_approx_date,
    parse_choice,
    parse_date,
    parse_duration,
    parse_multi_choice,
    parse_number,
    parse_scale,
    parse_text,
    parse_yes_no,
    word_key,
)
from tests.conftest import CONTENT_DIR

LEXICON = Lexicon.model_validate(load_yaml(CONTENT_DIR / "lexicon.yaml"))
WORDS = Words(LEXICON)
TODAY = date(2026, 11, 24)  # the conftest clock's day: a Tuesday in late November
MAX_DURATION = 366 * 1440

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def opt(value: str, ja: str, en: str) -> Option:
    return Option.model_validate({"value": value, "label": {"ja": ja, "en": en}})


OS_OPTIONS = [
    opt("windows", "Windows", "Windows"),
    opt("macos", "macOS（Mac）", "macOS (Mac)"),
    opt("linux", "Linux", "Linux"),
    opt("other", "その他", "Other"),
    opt("unknown", "分からない", "Don't know"),
]
CLOUD_OPTIONS = [
    opt("microsoft_365", "Microsoft 365", "Microsoft 365"),
    opt("google_workspace", "Google Workspace", "Google Workspace"),
    opt("file_sharing", "ファイル共有サービス", "File sharing"),
    opt("none", "使っていない", "None"),
]


def reprompt_of(call: Callable[[], Any]) -> Reprompt:
    with pytest.raises(Reprompt) as info:
        call()
    return info.value


def test_words_can_also_come_from_the_loaded_content(content) -> None:  # type: ignore[no-untyped-def]
    # The lexicon the bot uses is the one these tests read.
    assert content.words.lexicon == LEXICON
    assert load_content(CONTENT_DIR).words.yes == WORDS.yes


# --------------------------------------------------------------------------------------------------
# durations


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("4時間", 240),
        ("半日", 720),
        ("2日", 2880),
        ("30分", 30),
        ("2 hours", 120),
        ("1時間半", 90),
        ("４時間", 240),
        ("2h30m", 150),
        ("2時間30分", 150),
        ("1.5時間", 90),
        ("1日半", 2160),
        ("2週間", 20160),
        ("3ヶ月", 3 * 43200),
        ("約4時間", 240),
        ("4時間程度", 240),
        ("half a day", 720),
        ("即時", 0),
        ("4時間。", 240),
        ("2 h 30 min", 150),
    ],
)
def test_duration_examples(typed: str, minutes: int) -> None:
    assert parse_duration(typed, WORDS) == minutes


@pytest.mark.parametrize("typed", ["foo", "4", "5時", "", "時間", "-1時間", "4時間foo", "foo4時間", "三日間分の"])
def test_duration_without_a_unit_or_number_reprompts(typed: str) -> None:
    assert reprompt_of(lambda: parse_duration(typed, WORDS)).key == "reprompt.duration"


@pytest.mark.parametrize("typed", ["2〜3日", "2~3時間", "１～２日", "1時間〜2時間", "約2〜3日"])
def test_duration_range_is_not_read_as_one_number(typed: str) -> None:
    # 〜 is an "about" word (〜50), but between two numbers it makes a range: 「2〜3日」 must not be
    # stored as 23 days.
    assert reprompt_of(lambda: parse_duration(typed, WORDS)).key == "reprompt.duration"


def test_duration_longer_than_a_year_reprompts() -> None:
    assert reprompt_of(lambda: parse_duration("400日", WORDS)).key == "reprompt.duration_range"
    assert parse_duration("366日", WORDS) == MAX_DURATION


class RecordedPattern:
    """The duration pattern, recording how the parser uses it: a `match` at a position reads from
    there once; anything else (search, finditer…) restarts at every later character, which is
    what made a 20,000-digit answer take a minute."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.calls: list[tuple[str, int | None]] = []

    def match(self, string: str, pos: int = 0) -> re.Match[str] | None:
        self.calls.append(("match", pos))
        return self.pattern.match(string, pos)

    def __getattr__(self, name: str) -> Any:
        self.calls.append((name, None))
        return getattr(self.pattern, name)


@dataclass(frozen=True)
class RecordingWords(Words):
    @cached_property
    def duration_pattern(self) -> RecordedPattern:  # type: ignore[override]
        return RecordedPattern(Words(self.lexicon).duration_pattern)


def test_a_long_digit_string_is_read_once_per_part_not_searched() -> None:
    digits = "7" * 20_000
    cases = [
        (digits, "reprompt.duration", [("match", 0)]),
        (digits + "分", "reprompt.duration_range", [("match", 0)]),
        (digits + "分x", "reprompt.duration", [("match", 0), ("match", 20_001)]),
    ]
    for typed, key, calls in cases:
        words = RecordingWords(LEXICON)
        assert reprompt_of(partial(parse_duration, typed, words)).key == key
        assert words.duration_pattern.calls == calls, typed[-3:]
    words = RecordingWords(LEXICON)
    assert parse_duration("1時間30分", words) == 90
    assert words.duration_pattern.calls == [("match", 0), ("match", 3)]


# --------------------------------------------------------------------------------------------------
# dates


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026/12/03", date(2026, 12, 3)),
        ("2026-12-03", date(2026, 12, 3)),
        ("2026.12.3", date(2026, 12, 3)),
        ("2026年12月3日", date(2026, 12, 3)),
        ("２０２６年１２月３日", date(2026, 12, 3)),
        ("2026 年 12 月 3 日", date(2026, 12, 3)),
        ("12月3日", date(2026, 12, 3)),
        ("12/3", date(2026, 12, 3)),
        ("明日", date(2026, 11, 25)),
        ("今日", date(2026, 11, 24)),
        ("昨日", date(2026, 11, 23)),
        ("tomorrow", date(2026, 11, 25)),
        ("令和8年1月5日", date(2026, 1, 5)),
        ("R8.1.5", date(2026, 1, 5)),
        ("r8/1/5", date(2026, 1, 5)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("H31.4.30", date(2019, 4, 30)),
        # a month alone is the 1st (for "approximately when" questions)
        ("2023年5月", date(2023, 5, 1)),
        ("2023年5月頃", date(2023, 5, 1)),
        ("2023/5", date(2023, 5, 1)),
        ("2023-05", date(2023, 5, 1)),
    ],
)
def test_date_examples(typed: str, expected: date) -> None:
    assert parse_date(typed, WORDS, today=TODAY) == expected


def test_date_without_year_is_this_year_or_moved_into_the_allowed_direction() -> None:
    # 12月3日 is after today (11/24): this year, unless the question allows no future date.
    assert parse_date("12月3日", WORDS, today=TODAY) == date(2026, 12, 3)
    assert parse_date("12月3日", WORDS, today=TODAY, not_future=True) == date(2025, 12, 3)
    assert parse_date("12月3日", WORDS, today=TODAY, not_past=True) == date(2026, 12, 3)
    # 11月1日 is before today: moved to next year only when no past date is allowed.
    assert parse_date("11月1日", WORDS, today=TODAY) == date(2026, 11, 1)
    assert parse_date("11月1日", WORDS, today=TODAY, not_future=True) == date(2026, 11, 1)
    assert parse_date("11月1日", WORDS, today=TODAY, not_past=True) == date(2027, 11, 1)
    # today itself is neither in the future nor in the past
    assert parse_date("11月24日", WORDS, today=TODAY, not_future=True, not_past=True) == TODAY


@pytest.mark.parametrize("typed", ["2026/02/30", "2026/13/01", "2025年2月29日", "0000/01/01", "2月30日"])
def test_impossible_date_reprompts_date_invalid(typed: str) -> None:
    assert reprompt_of(lambda: parse_date(typed, WORDS, today=TODAY)).key == "reprompt.date_invalid"


@pytest.mark.parametrize("typed", ["someday", "", "2026", "12月", "来週", "26/12/3", "2026.12"])
def test_unreadable_date_reprompts_date(typed: str) -> None:
    assert reprompt_of(lambda: parse_date(typed, WORDS, today=TODAY)).key == "reprompt.date"


def test_date_in_the_future_when_not_allowed() -> None:
    error = reprompt_of(lambda: parse_date("明日", WORDS, today=TODAY, not_future=True))
    assert error.key == "reprompt.date_future"
    assert error.params == {"today": "2026-11-24"}
    assert reprompt_of(lambda: parse_date("2027/01/01", WORDS, today=TODAY, not_future=True)).key == "reprompt.date_future"


def test_date_in_the_past_when_not_allowed() -> None:
    error = reprompt_of(lambda: parse_date("昨日", WORDS, today=TODAY, not_past=True))
    assert error.key == "reprompt.date_past"
    assert error.params == {"today": "2026-11-24"}
    assert reprompt_of(lambda: parse_date("令和元年5月1日", WORDS, today=TODAY, not_past=True)).key == "reprompt.date_past"


@pytest.mark.parametrize(
    ("today", "flags"),
    [
        (date(2028, 1, 10), {"not_future": True}),  # 2028-02-29 is ahead; 2027-02-29 does not exist
        (date(2028, 3, 10), {"not_past": True}),  # 2028-02-29 is behind; 2029-02-29 does not exist
    ],
)
def test_february_29_without_a_year_never_crashes(today: date, flags: dict[str, bool]) -> None:
    error = reprompt_of(lambda: parse_date("2月29日", WORDS, today=today, **flags))
    assert error.key == "reprompt.date_invalid"


# --------------------------------------------------------------------------------------------------
# numbers


def number(typed: str, lo: float | None = 1, hi: float | None = 100000, integer: bool = True, units: tuple[str, ...] = ("人", "people")) -> int | float:
    return parse_number(typed, WORDS, minimum=lo, maximum=hi, integer=integer, unit_words=units)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("50", 50),
        ("５０人", 50),
        ("50 people", 50),
        ("1,200", 1200),
        ("１，２００人", 1200),
        ("約50", 50),
        ("約50人", 50),
        ("50人くらい", 50),
        ("50人程度", 50),
        ("about 50 people", 50),
        ("1.5万", 15000),
        ("1.28万", 12800),
        ("3千", 3000),
        ("10k", 10000),
        ("16.1k", 16100),
        ("+7", 7),
    ],
)
def test_number_examples(typed: str, expected: int) -> None:
    value = number(typed)
    assert value == expected
    assert type(value) is int


def test_number_that_is_not_integer() -> None:
    assert number("2.5", lo=0, hi=10, integer=False) == 2.5
    assert number("0.3", lo=0, hi=10, integer=False) == pytest.approx(0.3)
    assert reprompt_of(lambda: number("2.5")).key == "reprompt.integer"


def test_number_out_of_range_names_the_range() -> None:
    error = reprompt_of(lambda: number("0"))
    assert error.key == "reprompt.number_range"
    assert error.params == {"min": "1", "max": "100000"}
    assert reprompt_of(lambda: number("100001")).key == "reprompt.number_range"
    assert reprompt_of(lambda: number("11万")).key == "reprompt.number_range"
    assert reprompt_of(lambda: number("-5")).key == "reprompt.number_range"


@pytest.mark.parametrize("typed", ["foo", "", "五十三四", "1e3", "50〜60人", "50~60", "1万2千", "nan", "inf", "9" * 400])
def test_not_a_number_reprompts(typed: str) -> None:
    assert reprompt_of(lambda: number(typed)).key in ("reprompt.number", "reprompt.number_range")
    if typed != "9" * 400:
        assert reprompt_of(lambda: number(typed)).key == "reprompt.number"


def test_number_without_bounds() -> None:
    assert number("-12", lo=None, hi=None) == -12
    assert reprompt_of(lambda: number("x", lo=None, hi=None)).params == {"min": "", "max": ""}


# --------------------------------------------------------------------------------------------------
# choice and multi-choice


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1", "windows"),
        ("１", "windows"),
        ("5", "unknown"),
        ("1.", "windows"),
        ("Windows", "windows"),
        ("WINDOWS", "windows"),
        ("linux", "linux"),
        ("macOS (Mac)", "macos"),
        ("macOS（Mac）", "macos"),
        ("その他", "other"),
        ("Other", "other"),
        ("don't know", "unknown"),
        ("DON'T KNOW", "unknown"),
        ("分からない", "unknown"),
        ("win", "windows"),  # unique prefix
        ("li", "linux"),
        ("分から", "unknown"),
        ("macos", "macos"),  # the value itself
    ],
)
def test_choice_by_number_label_or_prefix(typed: str, value: str) -> None:
    assert parse_choice(typed, OS_OPTIONS, WORDS) == value


@pytest.mark.parametrize("typed", ["0", "6", "10"])
def test_choice_number_out_of_range(typed: str) -> None:
    error = reprompt_of(lambda: parse_choice(typed, OS_OPTIONS, WORDS))
    assert error.key == "reprompt.choice_range"
    assert error.params == {"n": 5}


@pytest.mark.parametrize("typed", ["solaris", "m", "", "1,2"])
def test_choice_unknown_word(typed: str) -> None:
    error = reprompt_of(lambda: parse_choice(typed, OS_OPTIONS, WORDS))
    assert error.key == "reprompt.choice"
    assert error.params == {"n": 5}


def test_choice_ambiguous_prefix_is_not_guessed() -> None:
    options = [opt("a", "会社の端末", "Company device"), opt("b", "会社以外", "Company outside")]
    for typed in ("会社", "company"):
        error = reprompt_of(lambda: parse_choice(typed, options, WORDS))
        assert error.key == "reprompt.ambiguous"  # asks which, naming both with their numbers
        assert error.params["part"] == typed
        assert [n for n, _ in error.params["candidates"].options] == [1, 2]


@pytest.mark.parametrize(
    ("typed", "values"),
    [
        ("1,3", ["microsoft_365", "file_sharing"]),
        ("1、3", ["microsoft_365", "file_sharing"]),
        ("1，3", ["microsoft_365", "file_sharing"]),
        ("1 3", ["microsoft_365", "file_sharing"]),
        ("1・3", ["microsoft_365", "file_sharing"]),
        ("1, 3", ["microsoft_365", "file_sharing"]),
        ("3,1", ["microsoft_365", "file_sharing"]),  # the options' order, not the typed order
        ("1,1,3,3", ["microsoft_365", "file_sharing"]),  # duplicates collapse
        ("2", ["google_workspace"]),
        ("Microsoft 365", ["microsoft_365"]),
        ("microsoft 365、google workspace", ["microsoft_365", "google_workspace"]),
        ("Google Workspace, 1", ["microsoft_365", "google_workspace"]),
        ("ファイル共有サービス、使っていない", ["file_sharing", "none"]),
    ],
)
def test_multi_choice_examples(typed: str, values: list[str]) -> None:
    assert parse_multi_choice(typed, CLOUD_OPTIONS, WORDS) == values


@pytest.mark.parametrize(("typed", "part"), [("1,9", "9"), ("1、dropbox", "dropbox"), ("0", "0"), ("1 x 3", "x")])
def test_multi_choice_names_the_part_it_did_not_understand(typed: str, part: str) -> None:
    error = reprompt_of(lambda: parse_multi_choice(typed, CLOUD_OPTIONS, WORDS))
    assert error.key == "reprompt.multi_choice"
    assert error.params == {"n": 4, "part": part}


@pytest.mark.parametrize("typed", ["", ",", "、、"])
def test_multi_choice_nothing_chosen(typed: str) -> None:
    assert reprompt_of(lambda: parse_multi_choice(typed, CLOUD_OPTIONS, WORDS)).key == "reprompt.multi_choice"


def test_every_real_option_is_reachable_by_number_and_both_labels(content) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for part in content.parts.values():
        for section in part.sections:
            questions = [q for item in section.items for q in (item.items if item.type == "group" else [item])]
            for question in questions:
                if question.type not in ("choice", "multi_choice"):
                    continue
                for number_, option in enumerate(question.options, 1):
                    for typed in (str(number_), option.label.ja, option.label.en):
                        if question.type == "choice":
                            assert parse_choice(typed, question.options, WORDS) == option.value, (question.id, typed)
                        else:
                            assert parse_multi_choice(typed, question.options, WORDS) == [option.value], (question.id, typed)
                        checked += 1
    assert checked > 100


# --------------------------------------------------------------------------------------------------
# yes/no, scale


@pytest.mark.parametrize("typed", ["はい", "ハイ", "yes", "YES", "ｙｅｓ", "Yes.", "はい。", "1", "１", "あります", "y", "ok"])
def test_yes(typed: str) -> None:
    assert parse_yes_no(typed, WORDS) is True


@pytest.mark.parametrize("typed", ["いいえ", "no", "No", "ＮＯ", "ありません", "2", "n", "いいえ！"])
def test_no(typed: str) -> None:
    assert parse_yes_no(typed, WORDS) is False


@pytest.mark.parametrize("typed", ["", "3", "maybe", "たぶん", "yes no", "0"])
def test_yes_no_other(typed: str) -> None:
    assert reprompt_of(lambda: parse_yes_no(typed, WORDS)).key == "reprompt.yes_no"


@pytest.mark.parametrize(
    ("typed", "level"),
    [
        ("高", "high"), ("中", "medium"), ("低", "low"),
        ("high", "high"), ("Medium", "medium"), ("LOW", "low"),
        ("1", "high"), ("2", "medium"), ("3", "low"),
        ("高い", "high"), ("普通", "medium"), ("小さい", "low"), ("３", "low"),
    ],
)
def test_scale(typed: str, level: str) -> None:
    assert parse_scale(typed, WORDS) == level


@pytest.mark.parametrize("typed", ["", "4", "0", "very", "最高"])
def test_scale_other(typed: str) -> None:
    assert reprompt_of(lambda: parse_scale(typed, WORDS)).key == "reprompt.scale"


# --------------------------------------------------------------------------------------------------
# text, clean_text, commands


def test_parse_text() -> None:
    assert parse_text("販売管理", max_length=10) == "販売管理"
    assert reprompt_of(lambda: parse_text("", max_length=10)).key == "reprompt.empty"
    error = reprompt_of(lambda: parse_text("あ" * 11, max_length=10))
    assert error.key == "reprompt.too_long"
    assert error.params == {"max": 10, "length": 11}


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("１２３", "123"),  # full-width digits
        ("ＡＢＣ　ｄｅｆ", "ABC def"),  # full-width letters and the ideographic space
        ("  はい  ", "はい"),
        ("ｶﾀｶﾅ", "カタカナ"),  # half-width kana
        ("a\x00b\x07c\x1bd\x7fe\x85f", "abcdef"),  # control characters
        ("line1\nline2", "line1\nline2"),  # newline kept
        ("a\r\nb", "a\nb"),
        ("safe\u202eexe.txt", "safeexe.txt"),  # right-to-left override
        ("a\u200bb\u200ec\u200fd\u2066e\u2069f\ufeffg", "abcdefg"),  # zero-width and direction marks
        ("😀👍🏽", "😀👍🏽"),  # emoji and a skin-tone modifier
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # a ZWJ family sequence keeps its joiners
        ("🇯🇵", "🇯🇵"),
        ("", ""),
    ],
)
def test_clean_text(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("戻る", "back"), ("/back", "back"), ("Back", "back"),
        ("/skip", "skip"), ("スキップ", "skip"), ("skip", "skip"),
        ("次へ", "next"), ("/next", "next"),
        ("中断", "pause"), ("/pause", "pause"), ("キャンセル", "cancel"), ("ヘルプ", "help"),
        ("?", "help"), ("進捗", "status"), ("戻る。", "back"), ("ＳＫＩＰ", "skip"),
    ],
)
def test_command_of(typed: str, command: str) -> None:
    assert command_of(typed, WORDS) == command


# 分からない, 不明, unknown are answers now (issue 18): never a skip.
@pytest.mark.parametrize("typed", ["4時間", "はい", "戻るつもり", "/unknown", "/", "", "次の質問", "分からない", "不明", "unknown", "don't know"])
def test_command_of_unrelated_text(typed: str) -> None:
    assert command_of(typed, WORDS) is None


def test_word_key() -> None:
    assert word_key("  Ｙｅｓ！ ") == "yes"
    assert word_key("Don't   Know。") == "don't know"


# --------------------------------------------------------------------------------------------------
# properties

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
UNITS = sorted((minutes, word) for minutes, words in LEXICON.duration_units.items() for word in words)


@st.composite
def amount_and_unit(draw: st.DrawFn) -> tuple[int, int, str]:
    minutes, unit = draw(st.sampled_from(UNITS))
    n = draw(st.integers(min_value=0, max_value=MAX_DURATION // minutes))
    return n, minutes, unit


@PROPERTY
@given(amount_and_unit(), st.sampled_from(["", " ", "　"]), st.booleans())
def test_property_duration_number_and_unit(case: tuple[int, int, str], space: str, full_width: bool) -> None:
    n, minutes, unit = case
    digits = str(n).translate(FULL_WIDTH) if full_width else str(n)
    assert parse_duration(f"{digits}{space}{unit}", WORDS) == n * minutes


@PROPERTY
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)), st.booleans())
def test_property_dates_round_trip(d: date, full_width: bool) -> None:
    for typed in (f"{d.year}/{d.month}/{d.day}", f"{d.year}-{d.month:02d}-{d.day:02d}", f"{d.year}年{d.month}月{d.day}日"):
        typed = typed.translate(FULL_WIDTH) if full_width else typed
        assert parse_date(typed, WORDS, today=TODAY) == d, typed


@PROPERTY
@given(st.dates(min_value=date(2019, 5, 1), max_value=date(2100, 12, 31)))
def test_property_reiwa_dates(d: date) -> None:
    era_year = d.year - 2018
    year = "元" if era_year == 1 else str(era_year)
    assert parse_date(f"令和{year}年{d.month}月{d.day}日", WORDS, today=TODAY) == d
    assert parse_date(f"R{era_year}.{d.month}.{d.day}", WORDS, today=TODAY) == d


@st.composite
def bounded_integer(draw: st.DrawFn) -> tuple[int, int, int]:
    lo = draw(st.integers(min_value=-(10**9), max_value=10**9))
    hi = draw(st.integers(min_value=lo, max_value=lo + 10**9))
    return lo, hi, draw(st.integers(min_value=lo, max_value=hi))


@PROPERTY
@given(bounded_integer())
def test_property_integers_in_range(case: tuple[int, int, int]) -> None:
    lo, hi, n = case
    for typed in (str(n), f"{n:,}", str(n).translate(FULL_WIDTH)):
        value = parse_number(typed, WORDS, minimum=lo, maximum=hi, integer=True)
        assert value == n, typed
        assert type(value) is int


@PROPERTY
@given(bounded_integer(), st.integers(min_value=1, max_value=1000))
def test_property_integers_out_of_range(case: tuple[int, int, int], beyond: int) -> None:
    lo, hi, _ = case
    for n in (lo - beyond, hi + beyond):
        error = reprompt_of(lambda: parse_number(str(n), WORDS, minimum=lo, maximum=hi, integer=True))
        assert error.key == "reprompt.number_range"


@PROPERTY
@given(st.integers(min_value=0, max_value=9999), st.integers(min_value=0, max_value=99), st.sampled_from(["万", "千", "k"]))
def test_property_decimal_with_multiplier_is_exact(whole: int, hundredths: int, word: str) -> None:
    # 「1.28万」 is 12800 people, not "please answer with a whole number" because of float rounding.
    factor = WORDS.multipliers[word_key(word)]
    exact = (whole * 100 + hundredths) * factor
    typed = f"{whole}.{hundredths:02d}{word}"
    if exact % 100:
        assert reprompt_of(lambda: parse_number(typed, WORDS, minimum=None, maximum=None, integer=True)).key == "reprompt.integer"
    else:
        assert parse_number(typed, WORDS, minimum=None, maximum=None, integer=True) == exact // 100


# Text that looks like answers (lexicon words, digits, date and list marks), mixed with any text.
TOKENS = sorted(
    {w for ws in LEXICON.duration_units.values() for w in ws}
    | set(LEXICON.duration_words) | set(LEXICON.relative_days) | set(LEXICON.eras) | set(LEXICON.approx)
    | set(LEXICON.multipliers) | set(LEXICON.yes) | set(LEXICON.no)
    | {w for ws in LEXICON.scale.model_dump().values() for w in ws}
    | {w for ws in LEXICON.commands.model_dump().values() for w in ws}
    | set("0123456789０１２３４５６７８９年月日/.-:,、・ 半元+") | {"29", "2月29日", "٣", "᧚", "²", "①", "\u202e", "\u200d"}
)
ANY_TEXT = st.one_of(
    st.text(),
    st.lists(st.sampled_from(TOKENS), max_size=8).map("".join),
    st.text(alphabet=sorted({c for token in TOKENS for c in token}), max_size=12),
    st.text(alphabet="0123456789０１２３²①٣᧚.,、/ -", max_size=6),  # digit-like characters
)
OPTIONS = st.sampled_from([OS_OPTIONS, CLOUD_OPTIONS])


def answer_or_reprompt(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Reprompt as error:
        assert error.key.startswith("reprompt."), error.key
        return None


@PROPERTY
@given(ANY_TEXT, st.booleans())
def test_property_any_text_yes_no_scale_command(text: str, clean: bool) -> None:
    text = clean_text(text) if clean else text
    assert answer_or_reprompt(lambda: parse_yes_no(text, WORDS)) in (True, False, None)
    assert answer_or_reprompt(lambda: parse_scale(text, WORDS)) in (*SCALE_ORDER, None)
    assert command_of(text, WORDS) in (None, *type(LEXICON.commands).model_fields)
    assert isinstance(clean_text(text), str)


@PROPERTY
@given(ANY_TEXT, OPTIONS)
def test_property_any_text_choice(text: str, options: list[Option]) -> None:
    values = [o.value for o in options]
    assert answer_or_reprompt(lambda: parse_choice(text, options, WORDS)) in (*values, None)
    chosen = answer_or_reprompt(lambda: parse_multi_choice(text, options, WORDS))
    if chosen is not None:
        assert chosen and chosen == [v for v in values if v in chosen]  # non-empty, no repeats, options' order


@PROPERTY
@given(ANY_TEXT, st.booleans(), st.sampled_from([(1, 10000), (0, None), (None, None), (-5.5, 5.5)]))
def test_property_any_text_number(text: str, integer: bool, bounds: tuple[float | None, float | None]) -> None:
    lo, hi = bounds
    value = answer_or_reprompt(
        lambda: parse_number(text, WORDS, minimum=lo, maximum=hi, integer=integer, unit_words=("人", "people"))
    )
    if value is not None:
        assert isinstance(value, int if integer else (int, float)) and not isinstance(value, bool)
        assert (lo is None or value >= lo) and (hi is None or value <= hi)


@PROPERTY
@given(ANY_TEXT)
def test_property_any_text_duration(text: str) -> None:
    minutes = answer_or_reprompt(lambda: parse_duration(text, WORDS))
    if minutes is not None:
        assert type(minutes) is int and 0 <= minutes <= MAX_DURATION


@PROPERTY
@given(ANY_TEXT, st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)), st.sampled_from([{}, {"not_future": True}, {"not_past": True}]))
def test_property_any_text_date(text: str, today: date, flags: dict[str, bool]) -> None:
    value = answer_or_reprompt(lambda: parse_date(text, WORDS, today=today, **flags))
    if value is not None:
        assert isinstance(value, date)
        if flags.get("not_future"):
            assert value <= today
        if flags.get("not_past"):
            assert value >= today


@PROPERTY
@given(ANY_TEXT, st.integers(min_value=1, max_value=50))
def test_property_any_text_text(text: str, max_length: int) -> None:
    value = answer_or_reprompt(lambda: parse_text(text, max_length=max_length))
    assert value is None or (value == text and 0 < len(value) <= max_length)


@pytest.mark.parametrize("typed", ["᧚", "1" * 5000, "1," + "2" * 5000])
def test_digit_like_characters_never_crash_a_choice(typed: str) -> None:
    # "᧚" is a digit to str.isdigit() but not to int(); 5000 digits exceed int()'s limit.
    assert reprompt_of(lambda: parse_choice(typed, OS_OPTIONS, WORDS)).key.startswith("reprompt.choice")
    assert reprompt_of(lambda: parse_multi_choice(typed, OS_OPTIONS, WORDS)).key == "reprompt.multi_choice"


# --------------------------------------------------------------------------------------------------
# answers as people type them (issue 18 point 5), on the real hearing questions


def hearing_question(content, question_id: str):  # type: ignore[no-untyped-def]
    for part in content.parts.values():
        for section in part.sections:
            for item in section.items:
                for question in item.items if item.type == "group" else [item]:
                    if question.id == question_id:
                        return question
    raise KeyError(question_id)


def read(content, question_id: str, typed: str):  # type: ignore[no-untyped-def]
    question = hearing_question(content, question_id)
    parse = parse_choice if question.type == "choice" else parse_multi_choice
    return parse(typed, question.options, WORDS)


@pytest.mark.parametrize(
    ("question_id", "typed", "value"),
    [
        # a word contained in one option's label
        ("it_staff", "兼任", "part_time"),
        ("it_staff", "外部", "outsourced"),
        ("it_staff", "vendor", "outsourced"),
        # あり/ありません/いいえ for ある/ない, 使っている/使っていない, and the English Yes/No labels
        ("vendor_remote_maintenance", "あり", "has"),
        ("vendor_remote_maintenance", "ありません", "none"),
        ("vendor_remote_maintenance", "いいえ", "none"),
        ("vendor_remote_maintenance", "yes", "has"),
        ("vendor_remote_maintenance", "no", "none"),
        ("shared_accounts", "あります", "has"),
        ("mobile_devices", "使っていません", "none"),
        ("mobile_devices", "no", "none"),
        ("backup_offline", "no", "online_only"),
        ("suspicious_mail_report", "いいえ", "not_known"),
        ("mfa", "使っていない", "none"),
        # kanji and English numerals as option numbers
        ("it_staff", "三", "part_time"),
        ("it_staff", "two", "dedicated_person"),
    ],
)
def test_choice_as_people_type_it(content, question_id: str, typed: str, value: str) -> None:  # type: ignore[no-untyped-def]
    assert read(content, question_id, typed) == value


@pytest.mark.parametrize(
    ("question_id", "typed", "values"),
    [
        ("os_used", "Windowsとmac", ["windows", "macos"]),
        ("os_used", "windows and mac", ["windows", "macos"]),
        ("os_used", "1と4", ["windows", "other"]),
        ("os_used", "１．４", ["windows", "other"]),
        ("os_used", "1 and 4", ["windows", "other"]),
        # a number inside a label is part of it: Windows 10 is Windows, not option 10
        ("os_used", "Windows 10", ["windows"]),
        ("os_used", "Windows 11とmac", ["windows", "macos"]),
        ("os_used", "Windows 10 mac", ["windows", "macos"]),
        ("os_used", "三", ["linux"]),
        ("cloud_services", "microsoft 365 google workspace", ["microsoft_365", "google_workspace"]),
        ("security_products", "ない", ["none"]),  # not 分からない, which also ends in ない
        ("os_used", "わからない", ["unknown"]),
    ],
)
def test_multi_choice_as_people_type_it(content, question_id: str, typed: str, values: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert read(content, question_id, typed) == values


@pytest.mark.parametrize(
    ("question_id", "typed", "candidates"),
    [
        ("mobile_devices", "はい", [1, 2]),  # company-issued or personal devices: asked, not guessed
        ("mobile_devices", "使っている", [1, 2]),
        ("mfa", "使っている", [1, 2]),  # for all, or for some
        ("vulnerability_check", "yes", [1, 2]),  # regularly, or at least once
        ("it_staff", "担当者", [2, 3]),
        ("cloud_services", "google", [2, 5]),  # Google Workspace or Google Cloud
    ],
)
def test_a_word_that_could_mean_two_options_asks_which(
    content, question_id: str, typed: str, candidates: list[int]  # type: ignore[no-untyped-def]
) -> None:
    error = reprompt_of(lambda: read(content, question_id, typed))
    assert error.key == "reprompt.ambiguous"
    assert [n for n, _ in error.params["candidates"].options] == candidates


@pytest.mark.parametrize(("question_id", "typed"), [("remote_access", "no"), ("remote_access", "non"), ("backup_target", "no")])
def test_no_is_never_read_as_the_start_of_another_word(content, question_id: str, typed: str) -> None:  # type: ignore[no-untyped-def]
    # `no` used to be recorded as "Not possible from outside" by prefix; with no option meaning no,
    # it is not understood and the person is asked again.
    assert reprompt_of(lambda: read(content, question_id, typed)).key in ("reprompt.choice", "reprompt.multi_choice")


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("1日分", 1440), ("3ヶ月分", 3 * 43200), ("一日", 1440), ("三日", 3 * 1440), ("半日分", 720),
        ("丸一日", 1440), ("a day", 1440), ("an hour", 60), ("a week", 10080), ("two days", 2880),
        ("half an hour", 30), ("30分", 30), ("1時間30分", 90),
    ],
)
def test_durations_as_people_type_them(typed: str, minutes: int) -> None:
    assert parse_duration(typed, WORDS) == minutes


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("令和5年12月", "2023-12"), ("2023年", "2023"), ("2023", "2023"), ("去年", "2025"),
        ("last year", "2025"), ("12月", "2025-12"),  # the last December, the question allows no future
        ("11月", "2026-11"), ("2023年5月頃", "2023-05"), ("令和元年", "2019"),
        ("2023/5/3", "2023-05-03"), ("昨日", "2026-11-23"),  # full dates stay full
    ],
)
def test_approximate_dates(typed: str, value: str) -> None:
    assert parse_approx_date(typed, WORDS, today=TODAY, not_future=True) == value


@pytest.mark.parametrize("typed", ["2027年", "来年", "2026年12月"])
def test_approximate_dates_in_the_future_are_refused(typed: str) -> None:
    error = reprompt_of(lambda: parse_approx_date(typed, WORDS, today=TODAY, not_future=True))
    assert error.key in ("reprompt.date_future", "reprompt.date")


def test_a_month_alone_is_not_a_date_where_the_question_needs_one() -> None:
    assert reprompt_of(lambda: parse_date("12月", WORDS, today=TODAY)).key == "reprompt.date"


@pytest.mark.parametrize(("typed", "level"), [("たかい", "high"), ("ちゅう", "medium"), ("med", "medium"), ("ひくい", "low")])
def test_scale_as_people_type_it(typed: str, level: str) -> None:
    assert parse_scale(typed, WORDS) == level


@pytest.mark.parametrize(("typed", "n"), [("15 PCs", 15), ("15pcs", 15), ("two", 2), ("三", 3), ("二十五人", 25), ("twenty one", 21), ("fifteen people", 15), ("五十", 50)])
def test_numbers_as_people_type_them(typed: str, n: int) -> None:
    assert number(typed) == n
