"""Run the pure flow step against stored state: load, step, append answers, save, reply."""

from __future__ import annotations

from dataclasses import replace

from bot.engine.context import Ctx
from bot.engine.flow import CompiledFlow
from bot.engine.messages import Outbound
from bot.engine.step import FlowInput, FlowState, step
from bot.store import repo
from bot.store.models import Conversation


async def run_step(ctx: Ctx, conversation: Conversation, inp: FlowInput) -> list[Outbound]:
    flow = await repo.flow_of(ctx.session, conversation)
    answers = await repo.load_answers(ctx.session, conversation.id)
    state = FlowState(
        cursor=conversation.current_step,
        status=conversation.status,  # type: ignore[arg-type]
        answers=answers,
        awaiting=conversation.awaiting,
    )
    result = step(flow, state, inp, ctx.speaker)
    repo.append_answers(ctx.session, conversation.id, result.recorded, ctx.now)
    conversation.current_step = result.state.cursor
    conversation.status = result.state.status
    conversation.awaiting = result.state.awaiting
    conversation.updated_at = ctx.now
    if result.state.status == "completed" and conversation.completed_at is None:
        conversation.completed_at = ctx.now
    # Flushed here so that a conflicting concurrent update fails before any reply is sent.
    await ctx.session.flush()
    return [_with_ref(reply, conversation.id) for reply in result.replies]


def _with_ref(reply: Outbound, conversation_id: int) -> Outbound:
    if reply.question_ref is None:
        return reply
    return replace(reply, question_ref=f"{conversation_id}:{reply.question_ref}")


async def start_flow(ctx: Ctx, flow: CompiledFlow) -> list[Outbound]:
    """Start a conversation; one the person had open is paused (it can be resumed later)."""
    current = await repo.active_conversation(ctx.session, ctx.person.id)
    if current is not None:
        current.status = "paused"
        current.updated_at = ctx.now
    conversation = await repo.start_conversation(ctx.session, ctx.person.id, flow, ctx.now)
    return await run_step(ctx, conversation, FlowInput("start"))


async def resume_flow(ctx: Ctx, conversation: Conversation) -> list[Outbound]:
    current = await repo.active_conversation(ctx.session, ctx.person.id)
    if current is not None and current.id != conversation.id:
        current.status = "paused"
        current.updated_at = ctx.now
    return await run_step(ctx, conversation, FlowInput("resume"))
