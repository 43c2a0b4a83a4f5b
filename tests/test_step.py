"""The pure engine step on a small flow with every question type (no database, no I/O)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.content.loader import Content
from bot.content.models import FlowDef, Part, Text
from bot.content.yamlio import load_yaml
from bot.engine.flow import MORE, CompiledFlow
from bot.engine.render import Speaker
from bot.engine.step import CANCEL_REF, FlowInput, FlowState, StepResult, step

FIXTURE = Path(__file__).parent / "fixtures" / "kitchen_sink.yaml"


@pytest.fixture(scope="module")
def flow() -> CompiledFlow:
    part = Part.model_validate(load_yaml(FIXTURE))
    definition = FlowDef(id="sink", title=Text(ja="テスト", en="Test"), parts=["sink"])
    return CompiledFlow.from_parts(definition, {"sink": part})


class Walker:
    """Feeds inputs to `step` and keeps the state, as the runtime does with the database."""

    def __init__(self, flow: CompiledFlow, content: Content, lang: str = "ja") -> None:
        self.flow = flow
        self.sp = Speaker(lang, content.book, content.words, date(2026, 11, 24))
        self.result = step(flow, FlowState(), FlowInput("start"), self.sp)
        self.state = self.result.state
        self.recorded = list(self.result.recorded)

    def send(self, text: str = "", **kw: object) -> StepResult:
        self.result = step(self.flow, self.state, FlowInput("message", text=text, **kw), self.sp)  # type: ignore[arg-type]
        self.state = self.result.state
        self.recorded.extend(self.result.recorded)
        return self.result

    @property
    def cursor(self) -> str | None:
        return self.state.cursor

    @property
    def kinds(self) -> list[str]:
        return [r.kind for r in self.result.replies]

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.result.replies)


@pytest.fixture
def walk(flow: CompiledFlow, content: Content) -> Walker:
    return Walker(flow, content)


def test_start_shows_section_heading_then_first_question(walk: Walker) -> None:
    assert walk.cursor == "count"
    assert "セクション 1/2: 第一" in walk.text and "最初のセクション" in walk.text
    assert walk.result.replies[-1].question_ref == "count"
    assert "質問 1/" in walk.result.replies[-1].text


def test_condition_adds_and_removes_a_question(walk: Walker) -> None:
    walk.send("10")
    walk.send("はい")
    assert walk.cursor == "backup_freq"
    walk.send("戻る")
    assert walk.cursor == "has_backup"
    walk.send("いいえ")
    assert walk.cursor == "tools"  # backup_freq no longer applies
    assert "次は任意の質問です" in walk.text  # the info item right before it is shown


def test_option_label_wins_over_a_command_word(walk: Walker) -> None:
    walk.send("10")
    walk.send("yes")
    walk.send("分からない")  # an option here, though also a skip word
    assert walk.state.answers["backup_freq"].value == "unknown"


def test_every_answer_is_recorded_once_with_its_value(walk: Walker) -> None:
    walk.send("１０人")
    walk.send("はい")
    walk.send("2")
    walk.send("1、3")
    walk.send("2026/11/01")
    walk.send("中")
    walk.send("'; DROP TABLE x;--")
    values = {r.key: r.value for r in walk.recorded}
    assert values == {
        "count": 10, "has_backup": True, "backup_freq": "weekly", "tools": ["utm", "av"],
        "when_seen": "2026-11-01", "level": "medium", "memo": "'; DROP TABLE x;--",
    }
    assert walk.cursor == "procs[1].pname"


def test_group_repeats_until_no_and_stops_at_max(walk: Walker) -> None:
    for answer in ["10", "いいえ", "skip", "昨日", "高", "skip"]:
        walk.send(answer)
    assert walk.cursor == "procs[1].pname"
    assert "業務を教えてください（1件目）" in walk.text
    walk.send("受注")
    walk.send("はい")
    assert walk.cursor == "procs[1].rto"
    walk.send("半日")
    assert "12時間" in walk.text  # the duration is echoed as understood
    assert walk.cursor == f"procs[1].{MORE}"
    walk.send("はい")
    walk.send("出荷")
    walk.send("いいえ")  # not critical: no RTO asked
    assert walk.cursor == f"procs[2].{MORE}"
    walk.send("はい")
    walk.send("請求")
    walk.send("いいえ")
    assert walk.state.status == "completed"  # max_repeat 3: no "another one?" after the third
    assert walk.state.cursor is None
    assert walk.state.answers["procs[1].rto"].value == 720


def test_reprompts_say_what_is_expected_and_keep_the_question(walk: Walker) -> None:
    walk.send("1000")
    assert walk.kinds == ["reprompt"] and "1〜100" in walk.text
    walk.send("たくさん")
    assert walk.kinds == ["reprompt"]
    walk.send("")
    assert walk.kinds == ["reprompt"] and "空" in walk.text
    assert walk.cursor == "count" and walk.recorded == []


def test_date_reprompts(walk: Walker) -> None:
    for answer in ["10", "いいえ", "skip"]:
        walk.send(answer)
    assert walk.cursor == "when_seen"
    walk.send("いつだったか")
    assert walk.kinds == ["reprompt"] and "2026/12/03" in walk.text
    walk.send("2027/01/01")
    assert walk.kinds == ["reprompt"] and "2026-11-24" in walk.text  # not_future
    walk.send("12月3日")  # no year: the latest such day that is not in the future
    assert walk.state.answers["when_seen"].value == "2025-12-03"


def test_too_long_text_is_refused_with_the_limit(walk: Walker) -> None:
    for answer in ["10", "いいえ", "skip", "昨日", "高"]:
        walk.send(answer)
    assert walk.cursor == "memo"
    walk.send("あ" * 10_000)
    assert walk.kinds == ["reprompt"] and "20文字以内" in walk.text and "10000" in walk.text
    walk.send("絵文字👨‍👩‍👧 ok\u202e\x07")
    assert walk.state.answers["memo"].value == "絵文字👨‍👩‍👧 ok"


def test_skip_is_refused_on_required_questions(walk: Walker) -> None:
    walk.send("skip")
    assert walk.kinds == ["reprompt"] and walk.cursor == "count"


def test_back_at_the_first_question(walk: Walker) -> None:
    walk.send("back")
    assert "最初の質問" in walk.text and walk.cursor == "count"


def test_pause_then_any_message_resumes(walk: Walker) -> None:
    walk.send("10")
    walk.send("中断")
    assert walk.state.status == "paused"
    walk.result = step(walk.flow, walk.state, FlowInput("resume"), walk.sp)
    walk.state = walk.result.state
    assert walk.state.status == "active" and walk.cursor == "has_backup"


def test_cancel_needs_the_confirmation_button_or_words(walk: Walker) -> None:
    walk.send("キャンセル")
    assert walk.result.replies[-1].question_ref == CANCEL_REF
    walk.send(choice="yes", reply_to="count")  # an old question's yes does not confirm
    assert walk.state.status == "active"
    walk.send("キャンセル")
    walk.send(choice="yes", reply_to=CANCEL_REF)
    assert walk.state.status == "cancelled"


def test_presses_are_checked_against_the_options(walk: Walker) -> None:
    walk.send("10")
    walk.send(choice="maybe", reply_to="has_backup")
    assert walk.kinds == ["reprompt"]
    walk.send(choice="yes", reply_to="has_backup")
    assert walk.state.answers["has_backup"].value is True
    walk.send(choice="daily", reply_to="count")  # a press for another question
    assert walk.kinds[0] == "reprompt" and walk.cursor == "backup_freq"


def test_multi_choice_by_checkbox_set(walk: Walker) -> None:
    walk.send("10")
    walk.send("いいえ")
    walk.send(choices=("av", "utm"), reply_to="tools")
    assert walk.state.answers["tools"].value == ["utm", "av"]


def test_english_speaker(flow: CompiledFlow, content: Content) -> None:
    walk = Walker(flow, content, lang="en")
    assert "Section 1/2: First" in walk.text
    walk.send("lots")
    assert "Please answer with a number" in walk.text


def test_progress_counts_match_answers(walk: Walker) -> None:
    answers = ["10", "はい", "毎日", "skip", "昨日", "低", "skip", "受注", "いいえ", "いいえ"]
    for answer in answers:
        walk.send(answer)
        plan = walk.flow.plan(walk.state.answers)
        answerable = [s for s in plan if s.answerable]
        held = [s for s in answerable if s.key in walk.state.answers]
        if walk.cursor is not None:
            position = [s.key for s in answerable].index(walk.cursor)
            assert position == len(held)  # walking forward: the question shown is the next unanswered
    assert walk.state.status == "completed"


@pytest.mark.parametrize("seed", range(12))
def test_a_plan_is_reused_only_after_answers_that_cannot_change_it(content: Content, flow: CompiledFlow, seed: int) -> None:
    """The step keeps the plan after an answer no `when:` reads (flow.plan_depends_on), and flows
    keep plans by the answers that do; walk every flow with random answers and check such an answer
    never changes the plan, and that a kept plan is always the one built afresh."""
    import random

    from bot.engine.flow import Answer

    rng = random.Random(seed)
    checked = changed = 0
    for candidate in [flow, *content.flows.values()]:
        answers: dict[str, Answer] = {}
        plan = candidate.plan(answers)
        while True:
            pending = [s for s in plan if s.answerable and s.key not in answers]
            if not pending:
                break
            current = pending[0]
            question = current.question
            if question.type == "yes_no":
                value: object = rng.random() < (0.3 if question.id == MORE else 0.5)
            elif question.options:
                values = [o.value for o in question.options]
                value = rng.sample(values, rng.randint(1, len(values))) if question.type == "multi_choice" else rng.choice(values)
            else:
                value = rng.choice([1, 5, "x"])
            answers[current.key] = Answer(value, str(value), skipped=question.optional and rng.random() < 0.2)
            new_plan = candidate._build_plan(answers)  # noqa: SLF001 - the plan without the cache
            assert candidate.plan(answers) == new_plan, f"{candidate.id}: a kept plan differs after {current.key}"
            if not candidate.plan_depends_on(current.key):
                checked += 1
                assert new_plan == plan, f"{candidate.id}: answering {current.key} changed the plan"
            elif new_plan != plan:
                changed += 1
            plan = new_plan
    assert checked > 100 and changed > 0  # both kinds of answer were met


# --------------------------------------------------------------------------------------------------
# 分からない is an answer, and answers are echoed as understood (issue 18 points 4 and 5)

ECHO_JA = "として記録しました"


def test_wakaranai_on_a_required_question_is_recorded_as_unknown_not_refused(walk: Walker) -> None:
    walk.send("skip")
    assert walk.kinds == ["reprompt"]  # a skip is still refused here
    walk.send("わからない")
    answer = walk.state.answers["count"]
    assert (answer.value, answer.unknown, answer.skipped) == (None, True, False)
    assert walk.recorded[-1].unknown is True and walk.recorded[-1].value is None
    assert walk.cursor == "has_backup"
    assert f"→ 分からない {ECHO_JA}" in walk.text  # わからない is not literally 分からない


@pytest.mark.parametrize("typed", ["不明", "unknown", "not sure", "分からない"])
def test_every_form_of_wakaranai_records_the_questions_own_option(walk: Walker, typed: str) -> None:
    walk.send("10")
    walk.send("はい")
    assert walk.cursor == "backup_freq"
    walk.send(typed)
    answer = walk.state.answers["backup_freq"]
    assert (answer.value, answer.unknown, answer.skipped) == ("unknown", True, False)
    # the option's own label (or value) needs no echo; another word for it does
    assert (ECHO_JA in walk.text) is (typed not in ("分からない", "unknown"))


def test_wakaranai_is_a_button_after_the_options_and_its_number_works(walk: Walker) -> None:
    walk.send("10")
    question = walk.result.replies[-1]
    assert [c.value for c in question.options] == ["yes", "no", "!unknown"]  # yes and no keep 1 and 2
    assert question.options[-1].label == "分からない"
    walk.send("3")
    assert walk.state.answers["has_backup"].unknown is True and walk.state.answers["has_backup"].value is None
    assert walk.cursor == "tools"  # the backup frequency is asked only after a yes


def test_wakaranai_pressed(walk: Walker) -> None:
    walk.send("10")
    walk.send(choice="!unknown", reply_to="has_backup")
    assert walk.state.answers["has_backup"].unknown is True
    assert ECHO_JA not in walk.text  # a press is the option itself


def test_no_extra_button_where_the_question_has_its_own_option(walk: Walker) -> None:
    walk.send("10")
    walk.send("はい")
    assert [c.value for c in walk.result.replies[-1].options] == ["daily", "weekly", "unknown"]


def test_wakaranai_cannot_be_chosen_beside_other_options(walk: Walker) -> None:
    walk.send("10")
    walk.send("いいえ")
    assert walk.cursor == "tools"
    walk.send(choices=("utm", "!unknown"), reply_to="tools")
    assert walk.kinds == ["reprompt"] and walk.cursor == "tools" and "tools" not in walk.state.answers


def test_number_questions_say_how_to_answer_wakaranai_instead_of_a_button(walk: Walker) -> None:
    question = walk.result.replies[-1]
    assert question.options == ()  # typing 1 answers one person, not a button
    assert "「分からない」" in question.text


def test_a_question_with_unknown_false_refuses_it_clearly(content: Content) -> None:
    part = Part.model_validate({
        "id": "strict", "title": {"ja": "厳密", "en": "Strict"},
        "sections": [{"id": "s", "title": {"ja": "一", "en": "One"}, "items": [
            {"id": "who", "type": "yes_no", "unknown": False, "text": {"ja": "担当は？", "en": "Who?"}},
        ]}],
    })
    flow = CompiledFlow.from_parts(FlowDef(id="strict", title=Text(ja="厳", en="S"), parts=["strict"]), {"strict": part})
    walk = Walker(flow, content)
    assert [c.value for c in walk.result.replies[-1].options] == ["yes", "no"]
    walk.send("分からない")
    assert walk.kinds == ["reprompt"] and "「分からない」では答えられません" in walk.text
    assert walk.cursor == "who" and walk.recorded == []


def test_completion_counts_wakaranai_apart_from_answers_and_skips(walk: Walker) -> None:
    for answer in ["不明", "分からない", "skip", "分からない", "高", "skip", "受注", "いいえ", "いいえ"]:
        walk.send(answer)
    assert walk.state.status == "completed"
    assert "回答 4 件、分からない 3 件、スキップ 2 件" in walk.text


@pytest.mark.parametrize(
    ("lang", "answers", "typed", "expected"),
    [
        ("ja", ["10"], "あり", "→ はい として記録しました。"),
        ("en", ["10"], "yep", "→ recorded as Yes."),
        ("ja", ["10", "はい"], "2", "→ 毎週 として記録しました。"),
        ("ja", ["10", "いいえ"], "1と3", "→ UTM、ウイルス対策ソフト として記録しました。"),
        ("en", ["10", "no"], "utm and anti", "→ recorded as UTM, Antivirus."),
        ("ja", [], "約10人", "→ 10人 として記録しました。"),
        ("en", [], "ten people", "→ recorded as 10 people."),
        ("ja", ["10", "いいえ", "skip"], "12月3日", "→ 2025年12月3日 として記録しました。"),
        ("ja", ["10", "いいえ", "skip", "昨日"], "たかい", "→ 高 として記録しました。"),
        ("en", ["10", "no", "skip", "yesterday"], "med", "→ recorded as Medium."),
    ],
)
def test_answers_not_typed_as_their_value_are_echoed(
    flow: CompiledFlow, content: Content, lang: str, answers: list[str], typed: str, expected: str
) -> None:
    walk = Walker(flow, content, lang)
    for answer in answers:
        walk.send(answer)
    before = walk.cursor
    walk.send(typed)
    assert walk.cursor != before, walk.text
    assert walk.result.replies[0].text == expected  # before the next question


@pytest.mark.parametrize(("answers", "typed"), [([], "10"), ([], "10人"), (["10"], "はい"), (["10"], "yes"), (["10", "はい"], "毎週"), (["10", "いいえ"], "UTM")])
def test_answers_typed_as_their_value_are_not_echoed(walk: Walker, answers: list[str], typed: str) -> None:
    for answer in answers:
        walk.send(answer)
    walk.send(typed)
    assert ECHO_JA not in walk.text and walk.kinds[-1] == "question"


def test_a_word_that_fits_two_options_asks_which_and_records_nothing(content: Content) -> None:
    part = Part.model_validate({
        "id": "amb", "title": {"ja": "曖昧", "en": "Ambiguous"},
        "sections": [{"id": "s", "title": {"ja": "一", "en": "One"}, "items": [
            {"id": "device", "type": "choice", "text": {"ja": "端末は？", "en": "Devices?"}, "options": [
                {"value": "company", "label": {"ja": "会社が支給した端末を使っている", "en": "Yes - company-issued devices"}},
                {"value": "personal", "label": {"ja": "個人の端末を業務にも使っている", "en": "Yes - personal devices"}},
                {"value": "none", "label": {"ja": "使っていない", "en": "No"}},
            ]},
        ]}],
    })
    flow = CompiledFlow.from_parts(FlowDef(id="amb", title=Text(ja="曖", en="A"), parts=["amb"]), {"amb": part})
    for lang, typed, expected in [
        ("ja", "はい", "「はい」は 1「会社が支給した端末を使っている」、2「個人の端末を業務にも使っている」 のどれのことですか？"),
        ("en", "yes", "\"yes\" could be 1 \"Yes - company-issued devices\", 2 \"Yes - personal devices\". Which one?"),
    ]:
        walk = Walker(flow, content, lang)
        walk.send(typed)
        assert walk.kinds == ["reprompt"] and walk.text.startswith(expected)
        assert walk.cursor == "device" and walk.recorded == []
        walk.send("2")
        assert walk.state.answers["device"].value == "personal"


def test_an_option_that_includes_wakaranai_takes_it_and_gets_no_extra_button(content: Content) -> None:
    part = Part.model_validate({
        "id": "cat", "title": {"ja": "種別", "en": "Kind"},
        "sections": [{"id": "s", "title": {"ja": "一", "en": "One"}, "items": [
            {"id": "category", "type": "choice", "text": {"ja": "何が？", "en": "What?"}, "options": [
                {"value": "malware", "label": {"ja": "ウイルス感染", "en": "Malware"}},
                {"value": "other", "label": {"ja": "その他・分からない", "en": "Other / not sure"}},
            ]},
        ]}],
    })
    flow = CompiledFlow.from_parts(FlowDef(id="cat", title=Text(ja="種", en="K"), parts=["cat"]), {"cat": part})
    walk = Walker(flow, content)
    assert [c.value for c in walk.result.replies[-1].options] == ["malware", "other"]
    walk.send("わからない")
    assert (walk.state.answers["category"].value, walk.state.answers["category"].unknown) == ("other", True)
    pressed = Walker(flow, content)
    pressed.send(choice="other", reply_to="category")  # other, or not sure: not marked 分からない
    assert (pressed.state.answers["category"].value, pressed.state.answers["category"].unknown) == ("other", False)
