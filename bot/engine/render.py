"""Answer values and questions as people read them, in their language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.content.models import Question, Text
from bot.engine.flow import MORE, Answer, CompiledFlow, Plan, Step
from bot.engine.i18n import MessageBook
from bot.engine.messages import Choice, Outbound
from bot.engine.parse import SCALE_ORDER, Candidates, Reprompt, Words, unknown_option

# The value of the 分からない button a question gets when none of its own options means it; no
# option value can start with "!" (content/models.py Option).
UNKNOWN_CHOICE = "!unknown"


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
    """The buttons of a question, numbered as typed; 分からない comes last where the question allows
    it and has no such option of its own, so the numbers of its options do not move."""
    own = _own_choices(question, sp)
    if own and offers_unknown(question, sp):
        return (*own, Choice(UNKNOWN_CHOICE, sp.say("value.unknown")))
    return own


def _own_choices(question: Question, sp: Speaker) -> tuple[Choice, ...]:
    if question.type in ("choice", "multi_choice"):
        return tuple(Choice(o.value, o.label.get(sp.lang)) for o in question.options or ())
    if question.type == "yes_no":
        return yes_no_choices(sp)
    if question.type == "scale":
        return tuple(Choice(level, sp.say(f"value.{level}")) for level in SCALE_ORDER)
    return ()


def offers_unknown(question: Question, sp: Speaker) -> bool:
    """Whether the question gets the extra 分からない button: it allows the answer, has buttons (a
    number or a date typed on the console must not read as a button's number), and no option of
    its own means 分からない."""
    if not question.unknown or question.type not in ("choice", "multi_choice", "yes_no", "scale"):
        return False
    return unknown_option(question.options or (), sp.words) is None


def reprompt_text(exc: Reprompt, sp: Speaker) -> str:
    """A re-prompt in the person's language: its Text and Candidates params are said in it."""
    params: dict[str, object] = {}
    for name, value in exc.params.items():
        if isinstance(value, Candidates):
            value = sp.say("unit.list_join").join(
                sp.say("reprompt.candidate", n=n, label=label.get(sp.lang)) for n, label in value.options
            )
        elif isinstance(value, Text):
            value = value.get(sp.lang)
        params[name] = value
    return sp.say(exc.key, **params)


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
    if answer.unknown and answer.value is None:
        return sp.say("value.unknown")
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
        if len(value) == 4:  # an approximate date: a year (2023) or a month (2023-12)
            return sp.say("unit.year", y=int(value))
        if len(value) == 7:
            return sp.say("unit.month", y=int(value[:4]), m=int(value[5:]))
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
    if kind == "date" and question.approximate:
        return sp.say("hint.date_approximate")
    if kind in ("duration", "date", "multi_choice"):
        return sp.say(f"hint.{kind}")
    return None


DEFAULT_TEXT_MAX = 1000


def _n(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)


def progress_line(flow: CompiledFlow, plan: Plan, step: Step, sp: Speaker) -> str:
    # Counted as the sheet counts (bot/hearing/counts.py): a group's "one more?" is no question;
    # on that step the number is that of the entry's last question.
    answerable = [s for s in plan if s.answerable and s.question.id != MORE]
    position = next((i for i, s in enumerate(plan) if s.key == step.key), len(plan))
    number = max(1, sum(1 for s in plan[: position + 1] if s.answerable and s.question.id != MORE))
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
    extras = [hint(question, sp)]
    if question.unknown and question.type in ("text", "number", "date", "duration"):
        extras.append(sp.say("hint.unknown"))  # the other types have a button for it
    if question.optional:
        extras.append(sp.say("hint.optional"))
    extra = " ".join(e for e in extras if e)
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
