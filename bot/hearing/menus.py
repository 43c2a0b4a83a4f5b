"""What a member sees around the questions of the company's sheet: its progress and who answered,
the menu (continue, a section, review and change, submit), a section's questions with their
current answers, and the summary before submitting. Buttons carry refs "sheet:<what>"."""

from __future__ import annotations

from typing import Callable, Mapping

from bot.turn.context import Ctx
from bot.engine.flow import Answer, CompiledFlow, Plan
from bot.engine.messages import Choice, Outbound
from bot.engine.render import format_value
from bot.hearing.counts import SheetCounts, count, counted, state_of
from bot.hearing.sheet import CompanySheet

REF = "sheet"
MENU, SECTION, REVIEW, CHANGE, SUBMIT = "menu", "section", "review", "change", "submit"
LABEL_QUESTION = 28  # characters of a question shown on a button: a phone shows about this many
LABEL_VALUE = 16
LISTED = 10  # open or 分からない questions named before "and N more"


def ref(what: str) -> str:
    return f"{REF}:{what}"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_text(say: Callable[..., str], view: CompanySheet) -> str:
    """One line for /status and the Slack home: how far the company's sheet is."""
    counts = view.counts
    if counts.given == 0:
        return say("status.hearing_none")
    state = say("status.sheet_submitted" if view.submitted else "status.sheet_open")
    return say("status.sheet", total=counts.total, given=counts.given, state=state)


def progress(ctx: Ctx, view: CompanySheet) -> str:
    counts = view.counts
    title = view.flow.title.get(ctx.lang)
    if counts.given == 0:
        return ctx.say("sheet.progress_none", title=title, total=counts.total)
    who = ctx.say("unit.list_join").join(view.answerers()) or ctx.say("sheet.nobody")
    line = ctx.say("sheet.progress", title=title, total=counts.total, given=counts.given, names=who)
    if counts.unknown or counts.skipped:
        line += ctx.say("sheet.progress_detail", unknown=counts.unknown, skipped=counts.skipped)
    if view.submitted:
        line += "\n" + ctx.say("sheet.is_submitted", at=_when(ctx, view))
    elif view.submitted_at is not None:
        line += "\n" + ctx.say("sheet.is_reopened", at=_when(ctx, view))
    return line


def _when(ctx: Ctx, view: CompanySheet) -> str:
    at = view.submitted_at
    return at.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M") if at else ""


def main_menu(ctx: Ctx, view: CompanySheet, may_submit: bool) -> list[Outbound]:
    options = [Choice("continue", ctx.say("sheet.do_continue"))] if view.counts.open else []
    options += [Choice("sections", ctx.say("sheet.do_sections")), Choice("review", ctx.say("sheet.do_review"))]
    if may_submit and not view.submitted:
        options.append(Choice("submit", ctx.say("sheet.do_submit")))
    ask = ctx.say("sheet.ask_continue") if view.counts.open else ctx.say("sheet.ask_review")
    return [Outbound(f"{progress(ctx, view)}\n{ask}", kind="question", options=tuple(options), question_ref=ref(MENU))]


def sections(ctx: Ctx, view: CompanySheet, purpose: str) -> Outbound:
    """The sections with answered / 分からない / open counts; `purpose` SECTION (go answer there)
    or REVIEW (see and change its answers)."""
    options = []
    for index, counts in view.section_counts():
        title = view.flow.sections[index].title.get(ctx.lang)
        label = ctx.say(
            "sheet.section_label", title=_short(title, LABEL_QUESTION),
            answered=counts.answered, unknown=counts.unknown, open=counts.open,
        )
        options.append(Choice(str(index), label))
    heading = ctx.say("sheet.pick_section" if purpose == SECTION else "sheet.review_title")
    return Outbound(heading, kind="question", options=tuple(options), question_ref=ref(purpose))


def section_questions(
    ctx: Ctx, flow: CompiledFlow, plan: Plan, answers: Mapping[str, Answer], section: int,
) -> Outbound:
    """A section's questions with their current answers, each a button that changes it."""
    sp = ctx.speaker
    options = []
    for step in plan:
        if step.section_index != section or not counted(step):
            continue
        answer = answers.get(step.key)
        label = _short(step.question.text.get(ctx.lang), LABEL_QUESTION)
        value = _short(format_value(step.question, answer, sp), LABEL_VALUE)
        options.append(Choice(step.key, f"{label} → {value}"))
    counts = count(tuple(s for s in plan if s.section_index == section), answers)
    title = flow.sections[section].title.get(ctx.lang)
    heading = ctx.say(
        "sheet.section_questions", title=title, answered=counts.answered, unknown=counts.unknown, open=counts.open,
    )
    return Outbound(heading, kind="question", options=tuple(options), question_ref=ref(CHANGE))


def all_given(ctx: Ctx, counts: SheetCounts) -> list[Outbound]:
    text = ctx.say(
        "sheet.all_given", total=counts.total, answered=counts.answered, unknown=counts.unknown, skipped=counts.skipped,
    )
    options = (Choice("review", ctx.say("sheet.do_review")), Choice("submit", ctx.say("sheet.do_submit")))
    return [Outbound(text, kind="question", options=options, question_ref=ref(MENU))]


def before_submitting(ctx: Ctx, view: CompanySheet) -> list[Outbound]:
    """What is still open and what is 分からない, then a confirmation."""
    counts = view.counts
    lines = [ctx.say("sheet.submit_summary", total=counts.total, open=counts.open, unknown=counts.unknown, skipped=counts.skipped)]
    for state, key in (("open", "sheet.list_open"), ("unknown", "sheet.list_unknown")):
        steps = [s for s in view.steps() if state_of(view.answers.get(s.key)) == state]
        if steps:
            lines.append(ctx.say(key))
            lines.extend(f"・{_short(s.question.text.get(ctx.lang), 40)}" for s in steps[:LISTED])
            if len(steps) > LISTED:
                lines.append(ctx.say("sheet.list_more", n=len(steps) - LISTED))
    lines.append(ctx.say("sheet.submit_confirm"))
    options = (Choice("yes", ctx.say("sheet.do_submit_now")), Choice("no", ctx.say("sheet.do_not_yet")))
    return [Outbound("\n".join(lines), kind="question", options=options, question_ref=ref(SUBMIT))]
