"""/hearing: the company's hearing sheet. `/hearing` shows its progress and who answered, and
continues where the company is; `/hearing review` lists the sections to see and change answers;
`/hearing submit` submits after a summary; `/hearing allow` (the lead) lets members submit."""

from __future__ import annotations

from bot.turn.context import Ctx
from bot.turn.conversations import begin_conversation, resume_flow, start_flow
from bot.engine.messages import Inbound, Outbound
from bot.engine.parse import word_key
from bot.hearing import conversation as sheet_conversation
from bot.hearing import menus
from bot.hearing.sheet import CompanySheet, load
from bot.hearing.submit import submit
from bot.policy import Action, Resource, Role, decide
from bot.store import repo, sheets
from bot.store.models import Conversation

REF_PREFIX = menus.REF


async def _sheet(ctx: Ctx) -> CompanySheet | list[Outbound]:
    """The person's company sheet, or what to say instead."""
    if ctx.person.role in (Role.EXPERT, Role.SECRETARIAT):
        # Registered, but not someone who answers: say what they can do instead of asking for a code.
        return [Outbound(ctx.say("hearing.for_participants"), kind="error")]
    company = await repo.company_by_id(ctx.session, ctx.person.company_id)
    if company is None or not ctx.may(Action.ANSWER_HEARING, Resource(company_id=company.id)):
        return [Outbound(ctx.say("hearing.not_registered"), kind="error")]
    view = await load(ctx.session, ctx.content, company)
    if view is None:
        return [Outbound(ctx.say("hearing.no_flow"), kind="error")]
    return view


def _may_submit(ctx: Ctx, view: CompanySheet) -> bool:
    """Asked without writing the audit log: this only decides whether to offer the button."""
    delegated = view.sheet is not None and view.sheet.members_may_submit
    return decide(ctx.actor, Action.SUBMIT_HEARING, Resource(company_id=view.company.id, delegated=delegated)).allowed


async def handle_hearing(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    view = await _sheet(ctx)
    if not isinstance(view, CompanySheet):
        return view
    typed = word_key(args)
    actions = ctx.content.words.lexicon.sheet_actions.items()
    sub = next((action for action, words in actions if typed in {word_key(w) for w in words}), None)
    if sub == "review":
        return [menus.sections(ctx, view, menus.REVIEW)]
    if sub == "submit":
        return await _ask_submit(ctx, view)
    if sub == "allow":
        return await _allow(ctx, view)
    if view.counts.given == 0:
        return await _continue(ctx, view)  # an empty sheet has nothing to show yet: just begin
    return menus.main_menu(ctx, view, _may_submit(ctx, view))


async def handle_press(ctx: Ctx, inbound: Inbound, rest: str) -> list[Outbound]:
    """The sheet's menus: rest is what the buttons were under, the choice what was picked."""
    view = await _sheet(ctx)
    if not isinstance(view, CompanySheet):
        return view
    choice = inbound.choice or ""
    if rest == menus.MENU:
        if choice == "continue":
            return await _continue(ctx, view)
        if choice == "sections":
            return [menus.sections(ctx, view, menus.SECTION)]
        if choice == "review":
            return [menus.sections(ctx, view, menus.REVIEW)]
        if choice == "submit":
            return await _ask_submit(ctx, view)
    if rest in (menus.SECTION, menus.REVIEW) and choice.isdecimal() and int(choice) < len(view.flow.sections):
        return await _section(ctx, view, int(choice), answer_open=rest == menus.SECTION)
    if rest == menus.CHANGE and any(s.key == choice for s in view.steps()):
        return await _change(ctx, view, choice)
    if rest == menus.SUBMIT and choice in ("yes", "no"):
        return await _submit(ctx, view) if choice == "yes" else [Outbound(ctx.say("sheet.not_submitted"))]
    return [Outbound(ctx.say("flow.stale_press"), kind="reprompt")]


async def _my_conversation(ctx: Ctx, view: CompanySheet) -> Conversation:
    """The person's own place in the sheet: the open one, else a new one. Another conversation
    they had active (an incident report) is paused, as when starting any flow."""
    mine = await repo.open_conversation(ctx.session, ctx.person.id, [view.flow.id])
    if mine is None:
        return await begin_conversation(ctx, view.flow)
    current = await repo.active_conversation(ctx.session, ctx.person.id)
    if current is not None and current.id != mine.id:
        current.status, current.updated_at = "paused", ctx.now
    return mine


async def _continue(ctx: Ctx, view: CompanySheet) -> list[Outbound]:
    mine = await repo.open_conversation(ctx.session, ctx.person.id, [view.flow.id])
    if mine is None:
        return await start_flow(ctx, view.flow)
    return await resume_flow(ctx, mine)


async def _section(ctx: Ctx, view: CompanySheet, section: int, *, answer_open: bool) -> list[Outbound]:
    """Picked from the menu: answer the section's first open question (and go on from there); in
    the review, or when nothing in it is open, its questions and answers to change."""
    first_open = next((s for s in view.steps() if s.section_index == section and s.key not in view.answers), None)
    if not answer_open or first_open is None:
        return [menus.section_questions(ctx, view.flow, view.plan, view.answers, section)]
    mine = await _my_conversation(ctx, view)
    await repo.save_conversation(
        ctx.session, mine, current_step=first_open.key, status="active", awaiting=None, updated_at=ctx.now,
    )
    return await sheet_conversation.show(ctx, mine)


async def _change(ctx: Ctx, view: CompanySheet, key: str) -> list[Outbound]:
    mine = await _my_conversation(ctx, view)
    await repo.save_conversation(
        ctx.session, mine, current_step=key, status="active", awaiting=sheet_conversation.CHANGING, updated_at=ctx.now,
    )
    return await sheet_conversation.show(ctx, mine)


async def _ask_submit(ctx: Ctx, view: CompanySheet) -> list[Outbound]:
    if view.submitted:
        return [Outbound(menus.progress(ctx, view))]
    if not _may_submit(ctx, view):
        return [Outbound(ctx.say("sheet.submit_lead_only"), kind="error")]
    return menus.before_submitting(ctx, view)


async def _submit(ctx: Ctx, view: CompanySheet) -> list[Outbound]:
    delegated = view.sheet is not None and view.sheet.members_may_submit
    if not ctx.may(Action.SUBMIT_HEARING, Resource(company_id=view.company.id, name=view.company.name, delegated=delegated)):
        return [Outbound(ctx.say("sheet.submit_lead_only"), kind="error")]
    if await submit(ctx, view) == "already":
        return [Outbound(menus.progress(ctx, view))]
    return [Outbound(ctx.say("sheet.submitted"))]


async def _allow(ctx: Ctx, view: CompanySheet) -> list[Outbound]:
    if not ctx.may(Action.DELEGATE_SUBMIT, Resource(company_id=view.company.id, name=view.company.name)):
        return [Outbound(ctx.say("sheet.allow_lead_only"), kind="error")]
    sheet = view.sheet or await sheets.sheet_for(ctx.session, view.company.id, view.flow.id, ctx.now)
    sheet.members_may_submit = not sheet.members_may_submit
    sheet.updated_at = ctx.now
    return [Outbound(ctx.say("sheet.allow_on" if sheet.members_may_submit else "sheet.allow_off"))]
