"""The pure flow step: `step(flow, state, input, speaker) -> StepResult`. No I/O.

The runtime loads the state from the database, calls `step`, appends `recorded` answers and saves
the new state in one transaction, and only then sends the replies.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, Mapping

from bot.content.models import LANGS, Question
from bot.engine.flow import MORE, Answer, CompiledFlow, Plan, Step
from bot.engine.messages import Outbound
from bot.engine.parse import (
    SCALE_ORDER,
    Reprompt,
    clean_text,
    command_of,
    numeral,
    parse_approx_date,
    parse_choice,
    parse_date,
    parse_duration,
    parse_multi_choice,
    parse_number,
    parse_scale,
    parse_text,
    means_unknown,
    parse_yes_no,
    unknown_option,
    verbatim,
    word_key,
)
from bot.engine.render import (
    DEFAULT_TEXT_MAX,
    UNKNOWN_CHOICE,
    Speaker,
    format_value,
    offers_unknown,
    progress_line,
    question_choices,
    render_question,
    reprompt_text,
    yes_no_choices,
)

Status = Literal["active", "paused", "completed", "cancelled"]
CANCEL_REF = "!cancel"  # the question ref of "end this questionnaire?" (no content key starts with !)


@dataclass(frozen=True)
class FlowState:
    cursor: str | None = None  # key of the question waiting for an answer
    status: Status = "active"
    answers: Mapping[str, Answer] = field(default_factory=dict)
    awaiting: str | None = None  # "cancel" while asking to confirm a cancel


@dataclass(frozen=True)
class FlowInput:
    kind: Literal["start", "resume", "message"]
    text: str = ""
    choice: str | None = None
    choices: tuple[str, ...] | None = None
    reply_to: str | None = None  # the question key a button press belongs to


@dataclass(frozen=True)
class Recorded:
    key: str
    raw: str
    value: Any
    skipped: bool = False
    unknown: bool = False  # as Answer.unknown


@dataclass(frozen=True)
class Reading:
    """One answer as read: its value, the text as typed, whether it was 分からない, and whether the
    text was literally the value (an option's label, "50"), so that nothing need be echoed."""

    value: Any
    raw: str
    unknown: bool = False
    as_typed: bool = True


@dataclass(frozen=True)
class StepResult:
    state: FlowState
    replies: list[Outbound]
    recorded: list[Recorded] = field(default_factory=list)


def step(flow: CompiledFlow, state: FlowState, inp: FlowInput, sp: Speaker) -> StepResult:
    if inp.kind == "start":
        title = sp.say(f"{flow.messages}.started", title=flow.title.get(sp.lang))
        return _advance(flow, replace(state, status="active"), None, sp, [Outbound(title)])
    if inp.kind == "resume" or state.status == "paused":
        resumed = replace(state, status="active", awaiting=None)
        notice = Outbound(sp.say(f"{flow.messages}.resumed", title=flow.title.get(sp.lang)))
        if resumed.cursor is None:
            return _advance(flow, resumed, None, sp, [notice])
        return _show_current(flow, resumed, sp, [notice])
    if state.status != "active":
        return StepResult(state, [Outbound(sp.say("flow.not_active"))])
    if state.awaiting == "cancel":
        return _confirm_cancel(flow, state, inp, sp)
    return _answer_or_command(flow, state, inp, sp)


def _answer_or_command(flow: CompiledFlow, state: FlowState, inp: FlowInput, sp: Speaker) -> StepResult:
    plan = flow.plan(state.answers)
    current = _find(plan, state.cursor)
    if current is None:  # content changed under the conversation: carry on at the first open question
        return _advance(flow, state, None, sp, [])
    if inp.reply_to is not None and inp.reply_to != current.key:
        return _show_current(flow, state, sp, [Outbound(sp.say("flow.stale_press"), kind="reprompt")])

    has_payload = inp.choice is not None or inp.choices is not None
    command = None if has_payload or is_option(current.question, inp.text, sp) else command_of(inp.text, sp.words)
    if command == "back":
        return _back(flow, state, plan, current, sp)
    if command == "next":
        # After going back: keep the answer already given and move on.
        if current.key not in state.answers:
            return StepResult(state, [Outbound(sp.say("flow.next_unanswered"), kind="reprompt")])
        return _advance(flow, state, current.key, sp, [])
    if command == "skip":
        if not current.question.optional:
            return StepResult(state, [Outbound(sp.say("reprompt.required"), kind="reprompt")])
        recorded = Recorded(current.key, verbatim(inp.text), None, skipped=True)
        return _record_and_advance(flow, state, plan, current, recorded, sp, [])
    if command == "pause":
        return StepResult(replace(state, status="paused"), [Outbound(sp.say(f"{flow.messages}.paused"))])
    if command == "cancel":
        return StepResult(
            replace(state, awaiting="cancel"),
            [Outbound(sp.say(f"{flow.messages}.cancel_confirm"), kind="question", options=yes_no_choices(sp), question_ref=CANCEL_REF)],
        )
    if command == "help":
        return StepResult(state, [_help(current.question, sp)])
    if command == "status":
        return StepResult(state, [Outbound(_status(flow, state, plan, current, sp))])

    try:
        reading = parse_answer(current.question, inp, sp)
    except Reprompt as exc:
        return StepResult(state, [Outbound(reprompt_text(exc, sp), kind="reprompt")])
    recorded = Recorded(current.key, reading.raw, reading.value, unknown=reading.unknown)
    replies = []
    if not reading.as_typed:
        # Echo what was understood: 「兼任」 is an option's label in part, 「半日」 is 12 hours,
        # 「12月3日」 gets a year; the person sees it before the next question and can go back.
        understood = format_value(current.question, Answer(reading.value, reading.raw, unknown=reading.unknown), sp)
        replies.append(Outbound(sp.say("flow.understood", value=understood)))
    return _record_and_advance(flow, state, plan, current, recorded, sp, replies)


def is_option(question: Question, text: str, sp: Speaker) -> bool:
    """An option label wins over a command word: an option 分からない is an answer, not a skip."""
    if not question.options:
        return False
    key = word_key(text)
    return any(key in (word_key(o.label.ja), word_key(o.label.en)) for o in question.options)


def parse_answer(question: Question, inp: FlowInput, sp: Speaker) -> Reading:
    """One answer to `question` as read, or Reprompt with what to say. Public because a filled form
    (a Slack modal) checks its answers the way the flow does."""
    if inp.choices is not None or inp.choice is not None:
        return _parse_press(question, inp, sp)
    text = clean_text(inp.text)
    if not text:
        raise Reprompt("reprompt.empty")
    raw = verbatim(inp.text)
    if _means_unknown(question, text, sp):
        value, unknown = _unknown_value(question, sp), True
    else:
        value = _parse_typed(question, text, sp)
        unknown = _is_unknown(question, value, sp)
    answer = Answer(value, raw, unknown=unknown)
    return Reading(value, raw, unknown, as_typed=question.type == "text" or _as_typed(question, answer, text, sp))


def _means_unknown(question: Question, text: str, sp: Speaker) -> bool:
    """分からない typed in any of its forms, or the number of the 分からない button."""
    key = word_key(text)
    if key in sp.words.unknown:
        return True
    return offers_unknown(question, sp) and numeral(key, sp.words) == len(question_choices(question, sp))


def _unknown_value(question: Question, sp: Speaker) -> Any:
    """What 分からない records: the question's own 分からない option, else no value (Answer.unknown)."""
    if not question.unknown:
        raise Reprompt("reprompt.unknown_refused")
    option = unknown_option(question.options or (), sp.words)
    if option is None:
        return None
    return [option.value] if question.type == "multi_choice" else option.value


def _is_unknown(question: Question, value: Any, sp: Speaker) -> bool:
    """Whether a chosen value is the 分からない option (alone: it cannot be chosen beside others).
    A press of 「その他・分からない」 may mean either, so only typing 分からない marks that one."""
    option = next((o for o in question.options or () if means_unknown(o, sp.words)), None)
    if option is None:
        return False
    if isinstance(value, list):
        if option.value in value and len(value) > 1:
            raise Reprompt("reprompt.unknown_alone")
        return value == [option.value]
    return bool(value == option.value)


def _as_typed(question: Question, answer: Answer, text: str, sp: Speaker) -> bool:
    """Whether the text was the recorded value as it reads in either language (an option's label,
    "50人", "50"): only other texts are echoed back."""
    forms = {word_key(format_value(question, answer, replace(sp, lang=lang))) for lang in LANGS}
    value = answer.value
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is not None and not isinstance(value, (list, dict, bool)):
        forms.add(word_key(str(value)))
    return word_key(text) in forms


def _parse_typed(question: Question, text: str, sp: Speaker) -> Any:
    """The normalised value of a typed answer (the raw text is kept as typed, beside it)."""
    kind = question.type
    if kind == "text":
        return parse_text(text, max_length=question.max_length or DEFAULT_TEXT_MAX)
    if len(text) > 200:  # no short answer is this long; do not spend time parsing it
        raise Reprompt("reprompt.too_long", max=200, length=len(text))
    if kind == "choice":
        return parse_choice(text, question.options or [], sp.words)
    if kind == "multi_choice":
        return parse_multi_choice(text, question.options or [], sp.words)
    if kind == "yes_no":
        return parse_yes_no(text, sp.words)
    if kind == "scale":
        return parse_scale(text, sp.words)
    if kind == "number":
        units = [question.unit.ja, question.unit.en] if question.unit else []
        return parse_number(
            text, sp.words, minimum=question.min, maximum=question.max,
            integer=question.integer, unit_words=units,
        )
    if kind == "duration":
        return parse_duration(text, sp.words)
    if kind == "date":
        if question.approximate:
            return parse_approx_date(
                text, sp.words, today=sp.today, not_future=question.not_future, not_past=question.not_past
            )
        day = parse_date(text, sp.words, today=sp.today, not_future=question.not_future, not_past=question.not_past)
        return day.isoformat()
    raise Reprompt("reprompt.empty")  # info items are never current


def _parse_press(question: Question, inp: FlowInput, sp: Speaker) -> Reading:
    """A button press or a submitted checkbox set: the value must be one the question offers."""
    offered = {c.value: c.label for c in question_choices(question, sp)}
    picked = list(inp.choices) if inp.choices is not None else [inp.choice or ""]
    if not picked or any(p not in offered for p in picked):
        raise Reprompt("reprompt.choice", n=len(offered))
    raw = sp.say("unit.list_join").join(offered[p] for p in picked)
    if UNKNOWN_CHOICE in picked:
        if len(picked) > 1:
            raise Reprompt("reprompt.unknown_alone")
        return Reading(_unknown_value(question, sp), raw, unknown=True)
    value: Any
    if question.type == "multi_choice":
        value = [c for c in offered if c in picked]
    elif len(picked) != 1:
        raise Reprompt("reprompt.choice", n=len(offered))
    elif question.type == "yes_no":
        value = picked[0] == "yes"
    elif question.type == "scale":
        value = SCALE_ORDER[SCALE_ORDER.index(picked[0])]
    else:
        value = picked[0]
    return Reading(value, raw, _is_unknown(question, value, sp))


def _record_and_advance(
    flow: CompiledFlow, state: FlowState, plan: Plan, current: Step, recorded: Recorded,
    sp: Speaker, replies: list[Outbound],
) -> StepResult:
    answers = dict(state.answers)
    answers[recorded.key] = Answer(recorded.value, recorded.raw, recorded.skipped, recorded.unknown)
    same_plan = None if flow.plan_depends_on(recorded.key) else plan
    result = _advance(flow, replace(state, answers=answers), current.key, sp, replies, same_plan)
    return replace(result, recorded=[recorded])


def _advance(
    flow: CompiledFlow, state: FlowState, after: str | None, sp: Speaker, replies: list[Outbound],
    plan: Plan | None = None,
) -> StepResult:
    """Move to the first unanswered question after `after` (or from the start), showing the
    section heading and the info items that come right before it. `plan` is the plan for
    state.answers when the caller already has it."""
    plan = plan if plan is not None else flow.plan(state.answers)
    start = 0
    if after is not None:
        index = _index(plan, after)
        start = index + 1 if index is not None else 0
    pending_info: list[Step] = []
    for position in range(start, len(plan)):
        candidate = plan[position]
        if not candidate.answerable:
            pending_info.append(candidate)
            continue
        if candidate.key in state.answers:
            pending_info = []
            continue
        out = list(replies)
        out.extend(_headings(flow, plan, position, sp))
        out.extend(Outbound(info.question.text.get(sp.lang)) for info in pending_info)
        out.append(render_question(flow, plan, candidate, sp))
        return StepResult(replace(state, cursor=candidate.key, status="active", awaiting=None), out)
    counts = answer_counts(plan, state.answers)
    done = Outbound(sp.say(f"{flow.messages}.completed", title=flow.title.get(sp.lang), **counts))
    return StepResult(replace(state, cursor=None, status="completed", awaiting=None), [*replies, done])


def answer_state(answer: Answer | None) -> str:
    """What became of a question: answered, unknown (分からない), skipped or unanswered."""
    if answer is None:
        return "unanswered"
    return "skipped" if answer.skipped else "unknown" if answer.unknown else "answered"


def answer_counts(plan: Plan, answers: Mapping[str, Answer]) -> dict[str, int]:
    """How many of the plan's questions are in each state of `answer_state`."""
    counts = dict.fromkeys(("answered", "unknown", "skipped", "unanswered"), 0)
    for s in plan:
        if s.answerable:
            counts[answer_state(answers.get(s.key))] += 1
    return counts


def answer_tally(answers: Mapping[str, Answer]) -> dict[str, int]:
    """The given answers by state (answered, unknown, skipped), without a plan: what /status shows.
    A group's "one more?" is no question of the sheet and is not counted."""
    counts = dict.fromkeys(("answered", "unknown", "skipped"), 0)
    for key, answer in answers.items():
        if not key.endswith(MORE):
            counts[answer_state(answer)] += 1
    return counts


def _headings(flow: CompiledFlow, plan: Plan, position: int, sp: Speaker) -> list[Outbound]:
    """A section's title and intro before its first question; a group's text before each entry."""
    target = plan[position]
    earlier = [s for s in plan[:position] if s.answerable]
    out = []
    if not any(s.section_index == target.section_index for s in earlier):
        section = flow.sections[target.section_index]
        heading = sp.say(
            "flow.section", number=target.section_index + 1, total=len(flow.sections),
            title=section.title.get(sp.lang),
        )
        if section.intro:
            heading = f"{heading}\n{section.intro.get(sp.lang)}"
        out.append(Outbound(heading))
    if target.group is not None:
        same_entry = [s for s in earlier if s.group is target.group and s.entry == target.entry]
        if not same_entry:
            out.append(Outbound(sp.say("flow.entry", text=target.group.text.get(sp.lang), n=target.entry)))
    return out


def _back(flow: CompiledFlow, state: FlowState, plan: Plan, current: Step, sp: Speaker) -> StepResult:
    index = _index(plan, current.key) or 0
    previous = next((s for s in reversed(plan[:index]) if s.answerable), None)
    if previous is None:
        return _show_current(flow, state, sp, [Outbound(sp.say("flow.no_back"), kind="reprompt")])
    reply = render_question(flow, plan, previous, sp, current=state.answers.get(previous.key))
    return StepResult(replace(state, cursor=previous.key), [reply])


def _show_current(flow: CompiledFlow, state: FlowState, sp: Speaker, replies: list[Outbound]) -> StepResult:
    plan = flow.plan(state.answers)
    current = _find(plan, state.cursor)
    if current is None:
        return _advance(flow, state, None, sp, replies)
    question = render_question(flow, plan, current, sp, current=state.answers.get(current.key))
    return StepResult(state, [*replies, question])


def _confirm_cancel(flow: CompiledFlow, state: FlowState, inp: FlowInput, sp: Speaker) -> StepResult:
    try:
        if inp.choice is not None:
            # Only the confirmation's own button confirms; an old question's "yes" button does not.
            confirmed = inp.reply_to == CANCEL_REF and inp.choice == "yes"
        else:
            confirmed = parse_yes_no(clean_text(inp.text), sp.words)
    except Reprompt:
        confirmed = False
    if confirmed:
        return StepResult(
            replace(state, status="cancelled", cursor=None, awaiting=None),
            [Outbound(sp.say(f"{flow.messages}.cancelled"))],
        )
    return _show_current(flow, replace(state, awaiting=None), sp, [Outbound(sp.say("flow.cancel_aborted"))])


def _help(question: Question, sp: Speaker) -> Outbound:
    lines = []
    if question.help:
        lines.append(question.help.get(sp.lang))
    lines.append(sp.say("flow.help"))
    return Outbound("\n".join(lines))


def _status(flow: CompiledFlow, state: FlowState, plan: Plan, current: Step, sp: Speaker) -> str:
    counts = answer_counts(plan, state.answers)
    return sp.say(
        "flow.status", done=sum(counts.values()) - counts["unanswered"], total=sum(counts.values()),
        unknown=counts["unknown"], skipped=counts["skipped"], position=progress_line(flow, plan, current, sp),
    )


def _find(plan: Plan, key: str | None) -> Step | None:
    index = _index(plan, key) if key is not None else None
    return plan[index] if index is not None else None


def _index(plan: Plan, key: str) -> int | None:
    return next((i for i, s in enumerate(plan) if s.key == key), None)


def first_open(flow: CompiledFlow, state: FlowState, sp: Speaker, replies: list[Outbound]) -> StepResult:
    """The first unanswered question from the start of the plan: on a shared sheet another member
    may have left earlier questions open while this one answered the later ones."""
    return _advance(flow, state, None, sp, replies)


def show_at(flow: CompiledFlow, state: FlowState, sp: Speaker, replies: list[Outbound]) -> StepResult:
    """The question at state.cursor, with its current answer: a question picked to change."""
    return _show_current(flow, state, sp, replies)
