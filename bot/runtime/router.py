"""Decide what an inbound message is: a command, an answer to the open flow, or a word like ヒアリング."""

from __future__ import annotations

import re
from typing import Awaitable, Callable

from bot.hearing.conversation import run_hearing
from bot.turn.context import Ctx, Runner
from bot.turn.conversations import SHEET_RUNNER, run_step
from bot.engine.messages import Inbound, Outbound, split_ref
from bot.engine.parse import clean_text, word_key
from bot.engine.step import FlowInput
from bot.handlers import actions, draft, events, hearing, notices, visits
from bot.handlers.groups import handle_group
from bot.handlers.incident import INCIDENT_FLOW, run_incident
from bot.handlers.incident import REF_PREFIX as INCIDENT_REF
from bot.handlers.incident import handle_form, handle_incident, handle_incidents, handle_press, record_attachments
from bot.handlers.help import handle_help, handle_lang, handle_status
from bot.handlers.intake import REF_PREFIX as INTAKE_REF
from bot.handlers.intake import handle_desk, handle_free_text, offer_switch
from bot.handlers.intake import handle_press as handle_intake_press
from bot.handlers.link import handle_link
from bot.handlers.overview import handle_overview
from bot.handlers.profile import handle_profile
from bot.handlers.report import handle_report
from bot.handlers.start import handle_start
from bot.handlers import triage
from bot.handlers.triage import TRIAGE_FLOW, handle_soudan, run_triage
from bot.handlers.web import handle_web

Handler = Callable[[Ctx, Inbound, str], Awaitable[list[Outbound]]]

COMMANDS: dict[str, Handler] = {
    "start": handle_start,
    "hearing": hearing.handle_hearing,
    "help": handle_help,
    "menu": handle_help,
    "status": handle_status,
    "lang": handle_lang,
    "soudan": handle_soudan,
    "incident": handle_incident,
    "incidents": handle_incidents,
    "report": handle_report,
    "draft": draft.handle_draft,
    "actions": actions.handle_actions,
    "link": handle_link,
    "profile": handle_profile,
    "overview": handle_overview,
    "visit": visits.handle_visit,
    "visits": visits.handle_visits,
    "event": events.handle_event,
    "events": events.handle_events,
    "notice": notices.handle_notice,
    "desk": handle_desk,
    "web": handle_web,
}
# Buttons under notices (reminders, event invitations, broadcast previews) and under quick-list
# leaves: "<prefix>:<id>".
PRESSES: dict[str, Handler] = {
    visits.REF_PREFIX: visits.handle_press,
    events.REF_PREFIX: events.handle_press,
    notices.REF_PREFIX: notices.handle_press,
    hearing.REF_PREFIX: hearing.handle_press,  # the sheet's menus, review and submission
    triage.REF_PREFIX: triage.handle_leaf_press,  # a quick-list leaf's checklist and contacts
    draft.REF_PREFIX: draft.handle_press,  # a document, then its format, under /draft's listing
}
# Forms a platform shows and sends back filled in (Inbound.form), by the command they stand for.
FORMS: dict[str, Handler] = {
    "incident": handle_form,
}
# How each kind of conversation is run, by flow id (bot/turn/conversations.py run_step); a flow not
# named here is a plain questionnaire. Handed down to every handler as Ctx.runners.
RUNNERS: dict[str, Runner] = {
    INCIDENT_FLOW: run_incident,  # files the report once the short section is answered
    TRIAGE_FLOW: run_triage,  # the quick-list decision tree
    SHEET_RUNNER: run_hearing,  # every hearing flow: the company's shared sheet
}
# Inside a flow these belong to the flow (/help explains the current question, /status its progress).
FLOW_COMMANDS = {"back", "next", "skip", "pause", "cancel", "help", "status"}

# "/start CODE", and Telegram's "/start@SomeBot CODE" in groups.
_COMMAND = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)

MAX_INBOUND = 20_000  # longer messages are refused before any parsing


def parse_command(text: str) -> tuple[str, str] | None:
    match = _COMMAND.match(text)
    if not match:
        return None
    return match.group(1).lower(), (match.group(2) or "").strip()


async def route(ctx: Ctx, inbound: Inbound) -> list[Outbound]:
    if len(inbound.text) > MAX_INBOUND:
        return [Outbound(ctx.say("reprompt.too_long", max=MAX_INBOUND, length=len(inbound.text)), kind="reprompt")]
    text = clean_text(inbound.text)
    if inbound.in_group:
        # A group gets commands only and never a flow: one member's answers are not the group's business.
        return await handle_group(ctx, inbound, parse_command(text))
    active = ctx.active_on_arrival
    command = parse_command(text)

    if inbound.form is not None:
        name = command[0] if command else ""
        if name in FORMS:
            return await FORMS[name](ctx, inbound, "")
        return [Outbound(ctx.say("router.unknown_command", command=name[:32]), kind="error")]
    if inbound.attachments:
        return await record_attachments(ctx, inbound, active)
    if inbound.choice is not None or inbound.choices is not None:
        return await _press(ctx, inbound, active)
    if command is not None:
        name, args = command
        if active is not None and name in FLOW_COMMANDS:
            return await run_step(ctx, active, FlowInput("message", text=text))
        if name in COMMANDS:
            return await COMMANDS[name](ctx, inbound, args)
        if name in FLOW_COMMANDS:
            return [Outbound(ctx.say("router.no_flow"), kind="error")]
        return [Outbound(ctx.say("router.unknown_command", command=name), kind="error")]
    if active is not None:
        replies = await run_step(ctx, active, FlowInput("message", text=inbound.text))
        if any(r.kind == "reprompt" for r in replies):
            # Not an answer: maybe an emergency or another request, which the flow must not hide.
            replies += await offer_switch(ctx, text)
        return replies
    if not text:
        return [Outbound(ctx.say("router.empty"))]
    word = ctx.content.words.commands.get(word_key(text))
    if word in COMMANDS:
        return await COMMANDS[word](ctx, inbound, "")
    return await handle_free_text(ctx, inbound, text)


async def _press(ctx: Ctx, inbound: Inbound, active: object) -> list[Outbound]:
    """A button press answers the question it was attached to, and nothing else."""
    prefix, _, rest = (inbound.reply_to or "").partition(":")
    if prefix == INCIDENT_REF:
        return await handle_press(ctx, inbound, rest)
    if prefix == INTAKE_REF:
        return await handle_intake_press(ctx, inbound, rest, COMMANDS)
    if prefix in PRESSES:
        return await PRESSES[prefix](ctx, inbound, rest)
    ref = split_ref(inbound.reply_to)
    conversation = active
    if ref is None or conversation is None or getattr(conversation, "id", None) != ref[0]:
        return [Outbound(ctx.say("flow.stale_press"), kind="reprompt")]
    inp = FlowInput("message", choice=inbound.choice, choices=inbound.choices, reply_to=ref[1])
    return await run_step(ctx, conversation, inp)  # type: ignore[arg-type]
