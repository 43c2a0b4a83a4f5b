"""A stateful property test of the flow engine: random sequences of answers, garbage, back, next,
skip, pause, resume and cancel never raise, never lose a recorded answer, and the cursor and
progress always agree with the answers held."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from bot.config import PROJECT_ROOT
from bot.content.loader import load_content
from bot.content.models import FlowDef, Part, Text
from bot.content.yamlio import load_yaml
from bot.engine.flow import Answer, CompiledFlow
from bot.engine.render import Speaker
from bot.engine.step import CANCEL_REF, FlowInput, FlowState, step
from tests.answering import valid_answer

CONTENT = load_content(PROJECT_ROOT / "content")
SINK = CompiledFlow.from_parts(
    FlowDef(id="sink", title=Text(ja="テスト", en="Test"), parts=["sink"]),
    {"sink": Part.model_validate(load_yaml(Path(__file__).parent / "fixtures" / "kitchen_sink.yaml"))},
)
FLOWS = [SINK, CONTENT.flows["hearing_csirt"]]

garbage = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "１０００００００", "2099/13/45", "🙂", "\x00\x1b", "'; DROP TABLE answers;--", "半", "はい、いいえ"]),
)


class EngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.flow: CompiledFlow = SINK
        self.sp = Speaker("ja", CONTENT.book, CONTENT.words, date(2026, 11, 24))
        self.state = FlowState()
        self.held: dict[str, Answer] = {}  # what the database would hold: every recorded answer, latest wins

    @precondition(lambda self: self.state.cursor is None and not self.held)
    @rule(which=st.integers(0, len(FLOWS) - 1), lang=st.sampled_from(["ja", "en"]))
    def start(self, which: int, lang: str) -> None:
        self.flow = FLOWS[which]
        self.sp = Speaker(lang, CONTENT.book, CONTENT.words, date(2026, 11, 24))
        self.feed(FlowInput("start"))

    @precondition(lambda self: self.state.status in ("completed", "cancelled"))
    @rule()
    def start_over(self) -> None:
        """A new conversation: what the database held for the old one is the old one's."""
        self.state, self.held = FlowState(), {}
        self.feed(FlowInput("start"))

    def feed(self, inp: FlowInput) -> None:
        result = step(self.flow, self.state, inp, self.sp)
        for item in result.recorded:
            self.held[item.key] = Answer(item.value, item.raw, item.skipped)
        self.state = result.state
        assert result.replies, "every input gets an answer"

    def current(self):  # type: ignore[no-untyped-def]
        return next((s for s in self.flow.plan(self.state.answers) if s.key == self.state.cursor), None)

    @precondition(lambda self: self.state.status == "active" and self.state.cursor is not None)
    @rule()
    def answer_validly(self) -> None:
        current = self.current()
        if current is None:
            return
        text = "はい" if current.question.id == "_more" else valid_answer(current.question, self.sp.lang)
        self.feed(FlowInput("message", text=text))

    @precondition(lambda self: self.state.cursor is not None or self.state.status == "paused")
    @rule(text=garbage)
    def answer_garbage(self, text: str) -> None:
        self.feed(FlowInput("message", text=text))

    @precondition(lambda self: self.state.status == "active" and self.state.cursor is not None)
    @rule(word=st.sampled_from(["戻る", "back", "次へ", "スキップ", "skip", "進捗", "ヘルプ", "/status"]))
    def navigate(self, word: str) -> None:
        self.feed(FlowInput("message", text=word))

    @precondition(lambda self: self.state.status == "active" and self.state.cursor is not None)
    @rule()
    def pause_and_resume(self) -> None:
        self.feed(FlowInput("message", text="中断"))
        assert self.state.status == "paused"
        self.feed(FlowInput("resume"))
        assert self.state.status == "active"

    @precondition(lambda self: self.state.status == "active" and self.state.cursor is not None)
    @rule(confirm=st.booleans())
    def cancel(self, confirm: bool) -> None:
        self.feed(FlowInput("message", text="キャンセル"))
        self.feed(FlowInput("message", choice="yes" if confirm else "no", reply_to=CANCEL_REF))
        assert self.state.status == ("cancelled" if confirm else "active")

    @invariant()
    def answers_are_never_lost(self) -> None:
        assert dict(self.state.answers) == self.held

    @invariant()
    def cursor_and_progress_agree_with_the_answers(self) -> None:
        plan = self.flow.plan(self.state.answers)
        answerable = [s for s in plan if s.answerable]
        if self.state.status == "active" and self.state.cursor is not None:
            assert self.state.cursor in {s.key for s in answerable}
        if self.state.status == "completed":
            assert self.state.cursor is None
            assert all(s.key in self.state.answers for s in answerable)


TestEngine = EngineMachine.TestCase
TestEngine.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
