"""/soudan (and the word 相談): the consultation quick list, for everyone, registered or not."""

from __future__ import annotations

from bot.turn.context import Ctx
from bot.turn.conversations import load_state, save_state, start_flow, with_refs
from bot.engine.messages import Inbound, Outbound
from bot.engine.brief import CHECKLIST, CONTACTS, part_of
from bot.engine.step import FlowInput
from bot.engine.triage import LEAF_REF, TriageView, render_leaf_part, triage_step
from bot.incidents.hours import desk_open
from bot.store import repo
from bot.store.models import Conversation

TRIAGE_FLOW = "triage"
REF_PREFIX = LEAF_REF


def view_for(ctx: Ctx) -> TriageView:
    content = ctx.content
    programme = content.response.programme
    contacts = {c.id: c for c in (content.contacts.contacts if content.contacts else [])}
    return TriageView(
        contacts=contacts,
        registered=ctx.person.company_id is not None,
        desk_open=desk_open(ctx.now, programme.desk, ctx.tz) if programme else False,
        desk_contact=programme.desk.contact if programme else "",
    )


async def handle_soudan(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    tree = ctx.content.response.triage
    if tree is None:
        return [Outbound(ctx.say("triage.unavailable"), kind="error")]
    return await start_flow(ctx, tree)


async def run_triage(ctx: Ctx, conversation: Conversation, inp: FlowInput) -> list[Outbound]:
    tree = await repo.flow_of(ctx.session, conversation)
    result = triage_step(tree, await load_state(ctx, conversation), inp, ctx.speaker, view_for(ctx))
    await save_state(ctx, conversation, result.state, result.recorded)
    replies = with_refs(result.replies, conversation.id)
    if result.report_category is not None:
        # The person asked for a report: start it pre-filled with what the walk already told us.
        from bot.handlers.incident import start_report

        # The path is kept as context; what happened is asked in the person's own words.
        path = " → ".join(tree.labels(result.state.answers, ctx.lang))
        replies += await start_report(ctx, category=result.report_category, context=path)
    return replies


async def handle_leaf_press(ctx: Ctx, inbound: Inbound, node_id: str) -> list[Outbound]:
    """「チェックリスト全体」「連絡先」 under a leaf's first reply: that leaf's part, as the content
    says it now. Leaves are public (the contacts shown follow the person's registration), so no
    conversation is needed: the button works under any old message, for the leaf it names."""
    tree = ctx.content.response.triage
    node = tree.nodes.get(node_id) if tree else None
    part = part_of(inbound.choice)
    if node is None or node.outcome is None or part not in (CHECKLIST, CONTACTS):
        return [Outbound(ctx.say("triage.leaf_gone"), kind="reprompt")]
    return [render_leaf_part(node.outcome, part, ctx.speaker, view_for(ctx))]

