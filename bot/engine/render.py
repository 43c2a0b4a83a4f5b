"""Answer values and questions as people read them, in their language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.content.models import Question
from bot.engine.flow import Answer, CompiledFlow, Plan, Step
from bot.engine.i18n import MessageBook
from bot.engine.messages import Choice, Outbound
from bot.engine.parse import SCALE_ORDER, Words


@dataclass(frozen=True)
class Speaker:
    """Everything a flow needs to talk to one person: language, sentences, words, and today."""

    lang: str
    book: MessageBook
    words: Words
    today: date

    def say(self, key: str, **params: object) -> str:
        return self.book.say(key, self.lang, **params)


def yes_no_choices(sp: Speaker) -> tuple[Choice, ...]:
    return (Choice("yes", sp.say("value.yes")), Choice("no", sp.say("value.no")))


def question_choices(question: Question, sp: Speaker) -> tuple[Choice, ...]:
    if question.type in ("choice", "multi_choice"):
        return tuple(Choice(o.value, o.label.get(sp.lang)) for o in question.options or ())
    if question.type == "yes_no":
        return yes_no_choices(sp)
    if question.type == "scale":
        return tuple(Choice(level, sp.say(f"value.{level}")) for level in SCALE_ORDER)
    return ()


def format_duration(minutes: int, sp: Speaker) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(sp.say("unit.days", n=days))
    if hours:
        parts.append(sp.say("unit.hours", n=hours))
    if mins or not parts:
        parts.append(sp.say("unit.minutes", n=mins))
    return sp.say("unit.join").join(parts)


def format_value(question: Question, answer: Answer | None, sp: Speaker) -> str:
    if answer is None:
        return sp.say("value.unanswered")
    if answer.skipped:
        return sp.say("value.skipped")
    value: Any = answer.value
    if question.type == "yes_no":
        return sp.say("value.yes" if value else "value.no")
    if question.type == "scale":
        return sp.say(f"value.{value}")
    if question.type in ("choice", "multi_choice"):
        labels = {o.value: o.label.get(sp.lang) for o in question.options or ()}
        values = value if isinstance(value, list) else [value]
        return sp.say("unit.list_join").join(labels.get(v, str(v)) for v in values)
    if question.type == "duration":
        return format_duration(int(value), sp)
    if question.type == "date":
        day = date.fromisoformat(value)
        return sp.say("unit.date", y=day.year, m=day.month, d=day.day)
    if question.type == "number":
        unit = question.unit.get(sp.lang) if question.unit else ""
        return sp.say("unit.number", n=value, unit=unit).strip()
    return str(value)


def hint(question: Question, sp: Speaker) -> str | None:
    kind = question.type
    if kind == "number":
        unit = question.unit.get(sp.lang) if question.unit else ""
        if question.min is not None and question.max is not None:
            return sp.say("hint.number_range", min=_n(question.min), max=_n(question.max), unit=unit)
        return sp.say("hint.number", unit=unit)
    if kind == "text":
        return sp.say("hint.text", max=question.max_length or DEFAULT_TEXT_MAX)
    if kind in ("duration", "date", "multi_choice"):
        return sp.say(f"hint.{kind}")
    return None


DEFAULT_TEXT_MAX = 1000


def _n(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)


def progress_line(flow: CompiledFlow, plan: Plan, step: Step, sp: Speaker) -> str:
    answerable = [s for s in plan if s.answerable]
    number = next((i for i, s in enumerate(answerable, 1) if s.key == step.key), len(answerable))
    section = flow.sections[step.section_index]
    return sp.say(
        "flow.progress",
        section=step.section_index + 1,
        sections=len(flow.sections),
        title=section.title.get(sp.lang),
        question=number,
        questions=len(answerable),
    )


def render_question(
    flow: CompiledFlow, plan: Plan, step: Step, sp: Speaker,
    *, current: Answer | None = None,
) -> Outbound:
    question = step.question
    lines = [progress_line(flow, plan, step, sp), question.text.get(sp.lang)]
    extra = hint(question, sp)
    if question.optional:
        extra = f"{extra} {sp.say('hint.optional')}" if extra else sp.say("hint.optional")
    if extra:
        lines.append(extra)
    if current is not None:
        lines.append(sp.say("flow.current_answer", value=format_value(question, current, sp)))
    return Outbound(
        text="\n".join(lines),
        kind="question",
        options=question_choices(question, sp),
        multi=question.type == "multi_choice",
        question_ref=step.key,  # the runtime prefixes the conversation id
    )
