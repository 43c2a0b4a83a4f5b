"""Free text outside a command (issue 16): what the intake reads in it, offered as buttons.

Outside a flow: a clear match of an urgent leaf shows its first steps at once, then offers a
report; otherwise the best candidates are buttons with 「どれでもない」 (the quick list). Inside a
flow, an answer that does not parse but clearly names something else offers to pause the flow
and go there. Nothing is filed or sent without a press.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from bot.turn.context import Ctx
from bot.hearing.menus import status_text
from bot.hearing.sheet import load
from bot.turn.conversations import run_step
from bot.engine.messages import Choice, Inbound, Outbound
from bot.engine.parse import word_key
from bot.engine.render import yes_no_choices
from bot.engine.step import FlowInput
from bot.engine.triage import render_contact, render_outcome
from bot.handlers.triage import handle_soudan, view_for
from bot.incidents.hours import desk_open
from bot.intake import misses
from bot.store import repo
from bot.intake.index import Match
from bot.intake.reading import Reading, index_for, read
from bot.intake.targets import Target

REF_PREFIX = "intake"
PICK = "pick"  # the candidates offered for a message
SWITCH = "switch"  # inside a flow: pause it and go there?
REPORT = "report"  # after an urgent leaf's first steps: file a report of this category?
NONE = "none"  # 「どれでもない」: the quick list
KEEP = "keep"  # inside a flow: back to the question

Handler = Callable[[Ctx, Inbound, str], Awaitable[list[Outbound]]]


async def handle_free_text(ctx: Ctx, inbound: Inbound, text: str) -> list[Outbound]:
    reading = read(ctx.content, text)
    if not reading.matches:
        if not reading.too_short and ctx.content.intake is not None and index_for(ctx.content).normaliser.tokens(reading.text):
            await _keep_miss(ctx, inbound, reading)
        return [*await _where_they_left_off(ctx), _pick([], ctx, ctx.say("intake.unreadable"), ctx.say("intake.open_list"))]
    urgent = reading.urgent
    if urgent is not None:
        return [Outbound(ctx.say("intake.urgent")), *_leaf(ctx, urgent.target)]
    if not reading.confident:
        await _keep_miss(ctx, inbound, reading)
        return [*await _where_they_left_off(ctx), _pick(reading.matches, ctx, ctx.say("intake.candidates"), ctx.say("intake.none"))]
    return [_pick(reading.matches, ctx, ctx.say("intake.candidates"), ctx.say("intake.none"))]


async def _where_they_left_off(ctx: Ctx) -> list[Outbound]:
    """A greeting or an unclear line from someone whose hearing sheet is paused: say where they are
    (a review finding: 「こんにちは」 got only 「ご用件をどうぞ」)."""
    paused = await repo.open_conversation(ctx.session, ctx.person.id, flow_ids=ctx.content.flows)
    company = await repo.company_by_id(ctx.session, ctx.person.company_id)
    if paused is None or company is None:
        return []
    view = await load(ctx.session, ctx.content, company)
    return [Outbound(status_text(ctx.say, view))] if view is not None else []


async def offer_switch(ctx: Ctx, text: str) -> list[Outbound]:
    """Inside a flow, after an answer that did not parse: an offer to go where the text points,
    or nothing when it points nowhere clearly (the re-prompt alone is then the right reply)."""
    if ctx.content.words.commands.get(word_key(text)) == "soudan":  # 「助けて」「困った」
        value, label = NONE, ctx.say("intake.open_list")
    else:
        reading = read(ctx.content, text)
        best = reading.best
        if not reading.confident or best is None:
            return []
        value, label = best.target.key, best.target.label.get(ctx.lang)
    options = (Choice(value, ctx.say("intake.go", label=label)), Choice(KEEP, ctx.say("intake.keep_answering")))
    return [Outbound(
        ctx.say("intake.switch_offer", label=label), kind="question", options=options,
        question_ref=f"{REF_PREFIX}:{SWITCH}",
    )]


async def handle_press(ctx: Ctx, inbound: Inbound, rest: str, commands: Mapping[str, Handler]) -> list[Outbound]:
    what, _, category = rest.partition(":")
    choice = inbound.choice or ""
    if what == REPORT and category:
        if choice == "yes":
            from bot.handlers.incident import start_report

            return await start_report(ctx, category=category)
        return [Outbound(ctx.say("triage.no_report"))]
    if what not in (PICK, SWITCH):
        return [Outbound(ctx.say("intake.gone"), kind="reprompt")]
    active = ctx.active_on_arrival
    if choice == KEEP:
        if active is None:
            return [Outbound(ctx.say("router.no_flow"), kind="error")]
        return await run_step(ctx, active, FlowInput("resume"))
    target = index_for(ctx.content).target(choice) if choice != NONE else None
    if choice != NONE and target is None:
        return [Outbound(ctx.say("intake.gone"), kind="reprompt")]
    replies: list[Outbound] = []
    if active is not None and active.status == "active":
        active.status = "paused"
        active.updated_at = ctx.now
        replies.append(Outbound(ctx.say("intake.paused")))
    if target is None:
        return replies + await handle_soudan(ctx, inbound, "")
    return replies + await _go(ctx, inbound, target, commands)


async def handle_desk(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    """/desk: the programme desk's hours and how to reach it, and whether it is open now."""
    programme = ctx.content.response.programme
    contacts = {c.id: c for c in (ctx.content.contacts.contacts if ctx.content.contacts else [])}
    contact = contacts.get(programme.desk.contact) if programme else None
    if programme is None or contact is None:
        return [Outbound(ctx.say("intake.desk_unavailable"), kind="error")]
    if not contact.public and ctx.person.company_id is None:
        return [Outbound(ctx.say("intake.desk_participants_only"))]
    is_open = desk_open(ctx.now, programme.desk, ctx.tz)
    lines = [render_contact(contact, ctx.speaker), ctx.say("intake.desk_open" if is_open else "intake.desk_closed")]
    return [Outbound("\n".join(lines))]


async def _go(ctx: Ctx, inbound: Inbound, target: Target, commands: Mapping[str, Handler]) -> list[Outbound]:
    if target.kind == "leaf":
        return _leaf(ctx, target)
    if target.kind == "category":
        from bot.handlers.incident import start_report

        return await start_report(ctx, category=target.ref)
    task = next((t for t in ctx.content.intake.tasks if t.id == target.ref), None) if ctx.content.intake else None
    handler = commands.get(task.command) if task else None
    if handler is None:
        return [Outbound(ctx.say("intake.gone"), kind="reprompt")]
    return await handler(ctx, inbound, "")


def _leaf(ctx: Ctx, target: Target) -> list[Outbound]:
    """A leaf's outcome (first steps and destinations), then the offer to file a report."""
    tree = ctx.content.response.triage
    node = tree.nodes.get(target.ref) if tree else None
    if node is None or node.outcome is None:
        return [Outbound(ctx.say("intake.gone"), kind="reprompt")]
    view = view_for(ctx)
    replies = [render_outcome(node.id, node.outcome, ctx.speaker, view)]
    category = node.outcome.report_category
    if category and view.registered:
        label = index_for(ctx.content).target(f"category:{category}")
        name = label.label.get(ctx.lang) if label else category
        replies.append(Outbound(
            ctx.say("intake.report_category", category=name), kind="question", options=yes_no_choices(ctx.speaker),
            question_ref=f"{REF_PREFIX}:{REPORT}:{category}",
        ))
    elif category:
        replies.append(Outbound(ctx.say("triage.register_to_report")))
    return replies


def _pick(matches: list[Match], ctx: Ctx, text: str, none_label: str) -> Outbound:
    options = [Choice(m.target.key, m.target.label.get(ctx.lang)) for m in matches]
    options.append(Choice(NONE, none_label))
    return Outbound(text, kind="question", options=tuple(options), question_ref=f"{REF_PREFIX}:{PICK}")


async def _keep_miss(ctx: Ctx, inbound: Inbound, reading: Reading) -> None:
    where = misses.Where(ctx.person.id, inbound.platform, ctx.lang)
    await misses.keep(ctx.session, reading, where, ctx.now)
