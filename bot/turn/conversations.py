"""Run a pure step against stored state: load, step, append answers, save, reply.

Questionnaires use the flow step; other kinds of conversation (the triage tree, the incident form,
the company's hearing sheet) have their own runner in the router's table, handed down as
Ctx.runners. A runner may add behaviour after the step (the incident form files its report once the
short section is answered)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable

from bot.turn.context import Ctx
from bot.engine.messages import Outbound
from bot.engine.step import FlowInput, FlowState, Recorded, StepResult, step
from bot.store import repo
from bot.store.models import Conversation

# Every hearing flow (content/hearing/flows.yaml) runs on the company's shared sheet: one runner,
# under this name in the router's table, for whichever flows content defines.
SHEET_RUNNER = "hearing"


async def run_step(ctx: Ctx, conversation: Conversation, inp: FlowInput) -> list[Outbound]:
    runner = ctx.runners.get(conversation.flow_id)
    if runner is None and conversation.flow_id in ctx.content.flows:
        runner = ctx.runners.get(SHEET_RUNNER)
    runner = runner or run_questionnaire
    return await runner(ctx, conversation, inp)


async def load_state(ctx: Ctx, conversation: Conversation) -> FlowState:
    answers = await repo.load_answers(ctx.session, conversation.id)
    return FlowState(
        cursor=conversation.current_step,
        status=conversation.status,  # type: ignore[arg-type]
        answers=answers,
        awaiting=conversation.awaiting,
    )


async def save_state(ctx: Ctx, conversation: Conversation, state: FlowState, recorded: Iterable[Recorded]) -> None:
    await repo.append_answers(ctx.session, conversation.id, recorded, ctx.now)
    completed = state.status == "completed" and conversation.completed_at is None
    # Written now, so that a conflicting concurrent update fails before any reply is sent.
    await repo.save_conversation(
        ctx.session, conversation, current_step=state.cursor, status=state.status, awaiting=state.awaiting,
        updated_at=ctx.now, completed_at=ctx.now if completed else conversation.completed_at,
    )


async def step_questionnaire(ctx: Ctx, conversation: Conversation, inp: FlowInput) -> StepResult:
    flow = await repo.flow_of(ctx.session, conversation)
    result = step(flow, await load_state(ctx, conversation), inp, ctx.speaker)
    await save_state(ctx, conversation, result.state, result.recorded)
    return replace(result, replies=with_refs(result.replies, conversation.id))


async def run_questionnaire(ctx: Ctx, conversation: Conversation, inp: FlowInput) -> list[Outbound]:
    return (await step_questionnaire(ctx, conversation, inp)).replies


def with_refs(replies: list[Outbound], conversation_id: int) -> list[Outbound]:
    """Question refs become "<conversation>:<key>", so a button press names its conversation. A ref
    that already names its handler ("leaf:<node>": no question key has a colon) is left as it is."""
    return [
        replace(r, question_ref=f"{conversation_id}:{r.question_ref}") if r.question_ref and ":" not in r.question_ref else r
        for r in replies
    ]


async def start_flow(ctx: Ctx, flow: Any, prefill: Iterable[Recorded] = ()) -> list[Outbound]:
    """Start a conversation (prefilled answers are recorded first and not asked again); one the
    person had open is paused and can be resumed later."""
    conversation = await begin_conversation(ctx, flow, prefill)
    return await run_step(ctx, conversation, FlowInput("start"))


async def begin_conversation(ctx: Ctx, flow: Any, prefill: Iterable[Recorded] = ()) -> Conversation:
    current = await repo.active_conversation(ctx.session, ctx.person.id)
    if current is not None:
        current.status = "paused"
        current.updated_at = ctx.now
    conversation = await repo.start_conversation(ctx.session, ctx.person.id, flow, ctx.now)
    await repo.append_answers(ctx.session, conversation.id, prefill, ctx.now)
    return conversation


async def resume_flow(ctx: Ctx, conversation: Conversation) -> list[Outbound]:
    current = await repo.active_conversation(ctx.session, ctx.person.id)
    if current is not None and current.id != conversation.id:
        current.status = "paused"
        current.updated_at = ctx.now
    return await run_step(ctx, conversation, FlowInput("resume"))
