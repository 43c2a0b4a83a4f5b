"""A member answering the company's sheet: their own conversation (where they are), the company's
answers (what is answered, by whom).

The step is the engine's pure step over the sheet's current answers. Around it this runner adds
what a shared sheet needs: a question someone else answered since it was shown is not silently
overwritten; the end of the flow goes back to questions others left open; a change picked from
the review records one answer and returns to the review; a change after submission reopens."""

from __future__ import annotations

from dataclasses import replace

from bot.turn.context import Ctx
from bot.turn.conversations import with_refs
from bot.engine.flow import Answer, CompiledFlow
from bot.engine.messages import Outbound
from bot.engine.parse import Reprompt, command_of
from bot.engine.render import format_value, reprompt_text
from bot.engine.step import FlowInput, FlowState, Recorded, StepResult, first_open, is_option, parse_answer, show_at, step
from bot.hearing import menus
from bot.hearing.counts import count, counted
from bot.policy import Action, Resource
from bot.store import repo, sheets
from bot.store.models import Conversation, HearingSheet
from bot.store.sheets import Given

CHANGING = "change"  # Conversation.awaiting while a member changes one answer picked in the review


async def run_hearing(ctx: Ctx, conversation: Conversation, inp: FlowInput) -> list[Outbound]:
    company = await repo.company_by_id(ctx.session, ctx.person.company_id)
    if company is None or not ctx.may(Action.ANSWER_HEARING, Resource(company_id=company.id)):
        return [Outbound(ctx.say("hearing.not_registered"), kind="error")]
    sheet = await sheets.sheet_for(ctx.session, company.id, conversation.flow_id, ctx.now)
    given = await sheets.given_answers(ctx.session, sheet.id)
    flow = await repo.flow_of(ctx.session, conversation)
    changing = conversation.awaiting == CHANGING
    state = FlowState(
        cursor=conversation.current_step, status=conversation.status,  # type: ignore[arg-type]
        answers={key: g.answer for key, g in given.items()}, awaiting=None if changing else conversation.awaiting,
    )
    if inp.kind == "resume" and _still_theirs(ctx, state, given):
        result = step(flow, state, inp, ctx.speaker)  # back where they stopped (or went back to)
    elif inp.kind in ("start", "resume"):
        # Continue where the company is: the first question nobody has answered yet.
        key = "started" if inp.kind == "start" else "resumed"
        notice = Outbound(ctx.say(f"{flow.messages}.{key}", title=flow.title.get(ctx.lang)))
        result = first_open(flow, replace(state, status="active", awaiting=None), ctx.speaker, [notice])
    elif changing:
        result = _change(ctx, flow, state, inp)
    else:
        result = step(flow, state, inp, ctx.speaker)
    meanwhile = _answered_meanwhile(ctx, conversation, state, given, result)
    if meanwhile is not None:
        names = await sheets.names_of(ctx.session, [meanwhile.person_id])
        result = _tell_meanwhile(ctx, flow, state, meanwhile, names.get(meanwhile.person_id or 0, ""))
    elif result.state.status == "completed" and not changing:
        result = await _at_the_end(ctx, flow, result)
    await _save(ctx, conversation, sheet, given, result)
    return with_refs(result.replies, conversation.id)


def _still_theirs(ctx: Ctx, state: FlowState, given: dict[str, Given]) -> bool:
    """Whether the question the person stopped at is still theirs to answer: nobody answered it,
    or they did themselves (they had gone back to it). Answered by another member, it is not."""
    if state.cursor is None or state.awaiting is not None:
        return False
    other = given.get(state.cursor)
    return other is None or other.person_id == ctx.person.id


def _answered_meanwhile(
    ctx: Ctx, conversation: Conversation, state: FlowState, given: dict[str, Given], result: StepResult,
) -> Given | None:
    """The answer another member gave to this person's question after it was shown to them (newer
    than the newest answer the sheet had then), if they were about to overwrite it."""
    key = state.cursor
    if key is None or not any(r.key == key for r in result.recorded):
        return None
    other = given.get(key)
    if other is None or other.person_id == ctx.person.id or other.row_id <= (conversation.sheet_seen or 0):
        return None
    return other


def _tell_meanwhile(ctx: Ctx, flow: CompiledFlow, state: FlowState, other: Given, name: str) -> StepResult:
    question = flow.question(state.cursor.rsplit(".", 1)[-1] if state.cursor else "")
    value = format_value(question, other.answer, ctx.speaker) if question is not None else other.answer.raw
    told = Outbound(ctx.say("sheet.answered_meanwhile", name=name, value=value), kind="reprompt")
    # Nothing recorded; shown again with the current answer, so a second answer is a deliberate change.
    return show_at(flow, replace(state, status="active"), ctx.speaker, [told])


async def _at_the_end(ctx: Ctx, flow: CompiledFlow, result: StepResult) -> StepResult:
    """The flow's last question: questions others left open come next; with none left, the sheet
    is complete and the person is told how to review and submit it (not the flow's own ending)."""
    replies = result.replies[:-1]  # the flow's "completed", which speaks for one person's sheet
    again = first_open(flow, replace(result.state, status="active"), ctx.speaker, [])
    if again.state.status == "active":
        return replace(again, replies=[*replies, Outbound(ctx.say("sheet.back_to_open")), *again.replies], recorded=result.recorded)
    counts = count(flow.plan(result.state.answers), result.state.answers)
    done = menus.all_given(ctx, counts)
    return replace(result, replies=[*replies, *done])


def _change(ctx: Ctx, flow: CompiledFlow, state: FlowState, inp: FlowInput) -> StepResult:
    """One answer picked in the review: record it and return to the review, or, when the new
    answer makes questions apply that nobody has answered, ask those."""
    sp = ctx.speaker
    plan = flow.plan(state.answers)
    current = next((s for s in plan if s.key == state.cursor), None)
    if current is None:
        return StepResult(replace(state, status="paused", cursor=None), [Outbound(ctx.say("sheet.change_gone"))])
    is_press = inp.choice is not None or inp.choices is not None
    command = None if is_press or is_option(current.question, inp.text, sp) else command_of(inp.text, sp.words)
    if command in ("help", "status"):
        result = step(flow, state, inp, sp)
        return replace(result, state=replace(result.state, awaiting=CHANGING))
    if command == "skip" and current.question.optional:
        recorded = Recorded(current.key, inp.text, None, skipped=True)
    elif command is not None:
        return StepResult(replace(state, status="paused", cursor=None), [Outbound(ctx.say("sheet.change_kept"))])
    else:
        try:
            reading = parse_answer(current.question, inp, sp)
        except Reprompt as exc:
            return StepResult(replace(state, awaiting=CHANGING), [Outbound(reprompt_text(exc, sp), kind="reprompt")])
        recorded = Recorded(current.key, reading.raw, reading.value, unknown=reading.unknown)
    answers = dict(state.answers)
    answers[recorded.key] = Answer(recorded.value, recorded.raw, recorded.skipped, recorded.unknown)
    new_plan = flow.plan(answers)
    before = {s.key for s in plan if counted(s)}
    # Asked even when an earlier answer is on record (shown with it): the person confirms or changes.
    now_apply = [s for s in new_plan if counted(s) and s.key not in before]
    dropped = [s for s in plan if counted(s) and s.key in answers and s.key not in {p.key for p in new_plan}]
    changed = Outbound(ctx.say("sheet.changed", value=format_value(current.question, answers[recorded.key], sp)))
    told = [changed]
    if dropped:
        told.append(Outbound(ctx.say("sheet.no_longer_applies", n=len(dropped))))
    moved = replace(state, answers=answers, awaiting=None)
    if now_apply:
        told.append(Outbound(ctx.say("sheet.now_applies", n=len(now_apply))))
        asked = show_at(flow, replace(moved, cursor=now_apply[0].key, status="active"), sp, told)
        return replace(asked, recorded=[recorded])
    section = current.section_index
    status = "completed" if count(new_plan, answers).open == 0 else "paused"
    back = menus.section_questions(ctx, flow, new_plan, answers, section)
    return StepResult(replace(moved, status=status, cursor=None), [*told, back], [recorded])  # type: ignore[arg-type]


async def show(ctx: Ctx, conversation: Conversation) -> list[Outbound]:
    """The question at the person's cursor with the company's current answer (a section or a
    question picked from the menu)."""
    company_id = ctx.person.company_id or 0
    sheet = await sheets.sheet_for(ctx.session, company_id, conversation.flow_id, ctx.now)
    given = await sheets.given_answers(ctx.session, sheet.id)
    flow = await repo.flow_of(ctx.session, conversation)
    state = FlowState(cursor=conversation.current_step, answers={k: g.answer for k, g in given.items()})
    hint = [Outbound(ctx.say("sheet.change_hint"))] if conversation.awaiting == CHANGING else []
    result = show_at(flow, state, ctx.speaker, hint)
    moved = result.state.cursor != conversation.current_step  # the question no longer applies
    await repo.save_conversation(
        ctx.session, conversation, current_step=result.state.cursor,
        awaiting=None if moved else conversation.awaiting, sheet_seen=max((g.row_id for g in given.values()), default=0),
    )
    return with_refs(result.replies, conversation.id)


async def _save(
    ctx: Ctx, conversation: Conversation, sheet: HearingSheet, given: dict[str, Given], result: StepResult,
) -> None:
    # What the person has now seen: the newest answer read with this message, or their own.
    seen = max((g.row_id for g in given.values()), default=0)
    if result.recorded:
        seen = await sheets.record(ctx.session, sheet, result.recorded, ctx.person.id, ctx.now)
        if sheet.status == "submitted":
            # The expert reads what was submitted; a change after that needs a new submission.
            sheet.status = "open"
            result.replies.insert(0, Outbound(ctx.say("sheet.reopened")))
    state = result.state
    completed = state.status == "completed" and conversation.completed_at is None
    await repo.save_conversation(
        ctx.session, conversation, current_step=state.cursor, status=state.status, awaiting=state.awaiting,
        updated_at=ctx.now, completed_at=ctx.now if completed else conversation.completed_at,
        sheet_seen=seen,
    )

