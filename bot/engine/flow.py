"""A questionnaire flow compiled from content, and its plan: the steps that apply given the answers.

The plan is recomputed from the answers rather than stored, so conditional questions and repeating
groups can never drift out of step with what was answered: going back and changing an answer simply
yields another plan.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from bot.content.models import Condition, FlowDef, Group, Part, Question, Section, Text

MORE = "_more"  # the step after each group entry: "is there another one?" (ids cannot start with _)
PLAN_CACHE = 512  # plans kept per flow, one per set of plan-deciding answers


@dataclass(frozen=True)
class Answer:
    value: Any
    raw: str
    skipped: bool = False
    # 分からない was the answer: value is None, or the value of the question's own 分からない option.
    unknown: bool = False


@dataclass(frozen=True)
class Step:
    key: str  # "employees", or "processes[2].rto" inside a group entry
    question: Question
    section_index: int
    group: Group | None = None
    entry: int | None = None  # 1-based entry number inside a group
    answerable: bool = field(init=False)  # read many times per plan: stored, not derived each time

    def __post_init__(self) -> None:
        object.__setattr__(self, "answerable", self.question.answerable)

    @property
    def starts_entry(self) -> bool:
        return self.group is not None and self.question.id == self.group.items[0].id


Plan = tuple[Step, ...]  # shared between conversations: never changed in place


def entry_key(group_id: str, entry: int, question_id: str) -> str:
    return f"{group_id}[{entry}].{question_id}"


def _more_question(group: Group) -> Question:
    # Built without validation: MORE deliberately falls outside the id pattern of content questions.
    # 分からない is no answer to "is there another one?": the group would end on a guess.
    return Question.model_construct(id=MORE, type="yes_no", text=group.more, source=group.source, unknown=False)


class CompiledFlow:
    """One flow (e.g. hearing_csirt): its sections in order, a content version, and the plan."""

    def __init__(self, definition: FlowDef, sections: list[Section]) -> None:
        self.definition = definition
        self.sections = sections
        self.id = definition.id
        self.title: Text = definition.title
        self.messages: str = definition.messages  # the prefix of its own wording (FLOW_WORDS)
        self.version = _version_of(definition, sections)
        self._group_of: dict[str, str] = {}  # question id -> id of the group it belongs to
        self._questions: dict[str, Question] = {}
        self._more: dict[str, Question] = {}  # group id -> its "one more?" question, built once
        # Steps are immutable and the same in every plan: each is built the first time a plan holds
        # it (plans share them, and building ~90 steps per plan was a tenth of an answer's time).
        self._steps: dict[str, Step] = {}
        # Question ids that some `when:` reads: only an answer to one of these (or a group's "one
        # more?") can change the plan, so a plan stays valid after any other answer.
        self._conditioned: set[str] = set()
        self._deciding: dict[str, bool] = {}  # answer key -> plan_depends_on(key), memoised
        # Plans by the answers that decide them (see plan()); insertion order is the eviction order.
        self._plans: dict[frozenset[tuple[str, bool, bool, Any]], Plan] = {}
        for section in sections:
            for item in section.items:
                self._conditioned.update(c.question for c in _conditions(item.when))
                if isinstance(item, Group):
                    self._more[item.id] = _more_question(item)
                    for question in item.items:
                        self._group_of[question.id] = item.id
                        self._questions[question.id] = question
                        self._conditioned.update(c.question for c in _conditions(question.when))
                else:
                    self._questions[item.id] = item

    @classmethod
    def from_parts(cls, definition: FlowDef, parts: Mapping[str, Part]) -> CompiledFlow:
        sections = [section for part_id in definition.parts for section in parts[part_id].sections]
        return cls(definition, sections)

    def snapshot(self) -> dict[str, Any]:
        """What a conversation started on; enough to rebuild this exact flow later."""
        return {
            "definition": self.definition.model_dump(mode="json", by_alias=True),
            "sections": [s.model_dump(mode="json", by_alias=True, exclude_none=True) for s in self.sections],
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> CompiledFlow:
        return cls(
            FlowDef.model_validate(data["definition"]),
            [Section.model_validate(s) for s in data["sections"]],
        )

    def plan_depends_on(self, key: str) -> bool:
        """Whether an answer to `key` ("employees", "processes[2].rto") can change the plan."""
        deciding = self._deciding.get(key)
        if deciding is None:
            question_id = key.rsplit(".", 1)[-1] if "]." in key else key
            deciding = self._deciding[key] = question_id == MORE or question_id in self._conditioned
        return deciding

    def question(self, question_id: str) -> Question | None:
        return self._questions.get(question_id)

    def plan(self, answers: Mapping[str, Answer]) -> Plan:
        """The steps that apply given `answers`. Only the answers that some `when:` reads (and the
        groups' "one more?") decide it, and most people give the same ones, so plans are kept by
        those answers: building one walks every item and condition, a tenth of an answer's time."""
        key = frozenset(
            (k, a.skipped, a.unknown, _hashable(a.value)) for k, a in answers.items() if self.plan_depends_on(k)
        )
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._build_plan(answers)
            if len(self._plans) > PLAN_CACHE:
                del self._plans[next(iter(self._plans))]
        return plan

    def _build_plan(self, answers: Mapping[str, Answer]) -> Plan:
        steps: list[Step] = []
        for index, section in enumerate(self.sections):
            for item in section.items:
                if isinstance(item, Group):
                    if self._holds(item.when, answers, None, None):
                        steps.extend(self._group_steps(item, index, answers))
                elif self._holds(item.when, answers, None, None):
                    steps.append(self._step(item.id, item, index))
        return tuple(steps)

    def _step(self, key: str, question: Question, section_index: int, group: Group | None = None,
              entry: int | None = None) -> Step:
        step = self._steps.get(key)
        if step is None:
            step = self._steps[key] = Step(key, question, section_index, group, entry)
        return step

    def _group_steps(self, group: Group, section_index: int, answers: Mapping[str, Answer]) -> list[Step]:
        steps: list[Step] = []
        more = self._more[group.id]
        for entry in range(1, group.max_repeat + 1):
            for question in group.items:
                if self._holds(question.when, answers, group.id, entry):
                    steps.append(
                        self._step(entry_key(group.id, entry, question.id), question, section_index, group, entry)
                    )
            if entry == group.max_repeat:
                break
            more_key = entry_key(group.id, entry, MORE)
            steps.append(self._step(more_key, more, section_index, group, entry))
            answer = answers.get(more_key)
            if answer is None or answer.value is not True:
                break
        return steps

    def _holds(
        self, when: Condition | list[Condition] | None, answers: Mapping[str, Answer],
        group_id: str | None, entry: int | None,
    ) -> bool:
        if when is None:
            return True
        return all(self._condition_holds(c, answers, group_id, entry) for c in _conditions(when))

    def _condition_holds(
        self, condition: Condition, answers: Mapping[str, Answer],
        group_id: str | None, entry: int | None,
    ) -> bool:
        key = condition.question
        if group_id is not None and self._group_of.get(key) == group_id:
            key = entry_key(group_id, entry or 1, key)
        return condition_holds(condition, answers.get(key))


def _hashable(value: Any) -> Any:
    """An answer's value as part of a plan's key (multi-choice answers are lists)."""
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _conditions(when: Condition | list[Condition] | None) -> list[Condition]:
    return [] if when is None else when if isinstance(when, list) else [when]


def condition_holds(condition: Condition, answer: Answer | None) -> bool:
    """One `when:` condition (or severity rule condition) against the answer it names."""
    given = answer is not None and not answer.skipped
    if condition.answered is not None:
        return given == condition.answered
    if answer is None or not given:
        return False
    value = answer.value
    if condition.equals is not None:
        return bool(value == condition.equals)
    if condition.in_ is not None:
        return value in condition.in_
    if condition.not_in is not None:
        return value not in condition.not_in
    if condition.includes is not None:
        return isinstance(value, list) and condition.includes in value
    return False


def _version_of(definition: FlowDef, sections: list[Section]) -> str:
    body = json.dumps(
        {
            "definition": definition.model_dump(mode="json", by_alias=True),
            "sections": [s.model_dump(mode="json", by_alias=True) for s in sections],
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()[:16]
