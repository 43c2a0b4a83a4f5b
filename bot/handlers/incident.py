"""/incident: report an incident (short path first, details after), follow it up, and its buttons.

  /incident                      start a report, or continue the one in progress
  /incident new                  start a new report
  /incident status, /incidents   the open incidents the person may see (bot.policy)
  /incident show INC-2026-0001   summary, checklist and timeline (also 1, #1, INC-1)
  /incident checklist|contacts|details INC-…   what the filing reply's buttons show
  /incident note INC-… TEXT      add an update to the timeline
  /incident done INC-… 1,3       tick checklist steps (undo INC-… 2 to untick)
  /incident move INC-… STATUS    対応中 / 収束 / クローズ (in_progress / contained / closed)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Mapping

from bot.content.models import IncidentConfig, Playbook, Question
from bot.engine import step as flow_step
from bot.engine.brief import CHECKLIST, CONTACTS, DETAILS, part_buttons, part_of
from bot.turn.context import Ctx
from bot.engine.flow import Answer
from bot.turn.conversations import start_flow, step_questionnaire
from bot.engine.messages import Attachment, Choice, Inbound, Outbound
from bot.engine.parse import Reprompt, clean_text, word_key
from bot.engine.render import Speaker, question_choices
from bot.engine.step import FlowInput, Recorded
from bot.incidents import progress, refs, service
from bot.incidents.hours import desk_open, next_opening
from bot.incidents.notify import escalation_recipients
from bot.incidents.render import (
    IncidentView,
    brief,
    checklist,
    destinations,
    emergency_contacts,
    event_detail,
    headline,
    jst,
    level_label,
    summary_lines,
)
from bot.incidents.severity import rank
from bot.handlers.profile import ask_once, contact_line
from bot.policy import Action, Resource, Role, decide, incident_companies
from bot.store import repo
from bot.store.models import Conversation, Incident, IncidentEvent, Person
from bot.store.outbox import enqueue

INCIDENT_FLOW = "incident"
REF_PREFIX = "inc"  # button refs "inc:<incident id>", values "tick:<step>" / "status:<id>" / "show:<part>"


def _config(ctx: Ctx) -> IncidentConfig | None:
    return ctx.content.response.incident


# --- the report form


def short_path(config: IncidentConfig) -> list[Question]:
    """The questions of the form's first section: once they are answered, the report is filed."""
    return [q for q in config.form.sections[0].items if isinstance(q, Question) and q.answerable]


def checked_answer(question: Question, given: str, sp: Speaker) -> Recorded:
    """An answer given outside the conversation (a filled form, the consultation guide), checked the
    way the flow checks one: an option value the question offers, as for a press, or typed text
    through the question's parser. Raises Reprompt, with what the flow would say, for a bad one."""
    offered = question_choices(question, sp)
    inp = FlowInput("message", choice=given) if offered else FlowInput("message", text=given)
    reading = flow_step.parse_answer(question, inp, sp)  # the flow's own parsing, not a copy of it
    return Recorded(question.id, reading.raw, reading.value, unknown=reading.unknown)


def _prefill(ctx: Ctx, config: IncidentConfig, given: Mapping[str, str]) -> list[Recorded]:
    """The short-path answers among `given` that pass their question's check; the rest (and any
    key that is not a short-path question) are left out, so the flow asks for them."""
    recorded = []
    for question in short_path(config):
        if question.id not in given:
            continue
        try:
            recorded.append(checked_answer(question, given[question.id], ctx.speaker))
        except Reprompt:
            continue
    return recorded


async def start_report(
    ctx: Ctx, *, category: str | None = None, answers: Mapping[str, str] | None = None, context: str | None = None,
) -> list[Outbound]:
    """Start a report. Short-path answers known beforehand (`answers`: question id -> option value
    or text; `category` from the consultation guide) are checked and recorded first and not asked
    again; when they answer the whole short path, the report is filed at once. `context` (the
    guide's path) is kept with the report beside the person's own words, never instead of them."""
    config, flow = _config(ctx), ctx.content.response.incident_flow
    if config is None or flow is None:
        return [Outbound(ctx.say("incident.unavailable"), kind="error")]
    if not ctx.may(Action.FILE_INCIDENT):
        return [Outbound(ctx.say("incident.not_registered"), kind="error")]
    given = dict(answers or {})
    if category:
        given[config.category_question] = category
    prefill = _prefill(ctx, config, given)
    if category:  # the record says where the category came from
        prefill = [replace(r, raw=ctx.say("incident.prefilled")) if r.key == config.category_question else r for r in prefill]
    if context:
        prefill.append(Recorded(CONTEXT_KEY, context[:500], context[:500]))
    replies = await start_flow(ctx, flow, prefill)
    if context and "what" not in given:
        replies.insert(len(replies) - 1 if replies else 0, Outbound(ctx.say("incident.own_words", path=context[:500])))
    return replies


CONTEXT_KEY = "_guide_path"  # the consultation guide's path, kept with the answers (not a question)


def context_line(ctx: Ctx, answers: Mapping[str, Answer], sp: Speaker | None = None) -> list[str]:
    """The guide's path, labelled as such, for the report's summary and notices."""
    kept = answers.get(CONTEXT_KEY)
    if kept is None or not kept.value:
        return []
    return [(sp or ctx.speaker).say("incident.prefill_what", path=str(kept.value))]


async def handle_form(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    """The short path filled in as one form (a Slack modal): a new report with its answers."""
    return await start_report(ctx, answers=inbound.form or {})


async def run_incident(ctx: Ctx, conversation: Conversation, inp: FlowInput) -> list[Outbound]:
    """The questionnaire step, then: file the report as soon as the short section is answered;
    re-assess the severity as details come in."""
    config = _config(ctx)
    result = await step_questionnaire(ctx, conversation, inp)
    starting = inp.kind == "start"  # answers given beforehand may already complete the short path
    if config is None or not (result.recorded or starting):
        return result.replies
    answers = result.state.answers
    incident = await service.incident_of_conversation(ctx.session, conversation.id)
    if incident is None:
        if not all(q.id in answers for q in short_path(config)):
            return result.replies
        same = await _same_case(ctx, config, answers)
        if same is not None:
            return [_ask_same(ctx, conversation, same)]
        # The details wait for 「詳しく答える」: the first reply stays one phone screen.
        return await _file(ctx, config, conversation, answers)
    old = service.reassess(ctx.session, config, incident, answers, ctx.now)
    extra = []
    if old is not None and rank(config, incident.severity) < rank(config, old):
        await _escalate(ctx, incident, answers, reason="raised")
        extra.append(Outbound(ctx.say("incident.severity_raised", number=incident.number, severity=level_label(ctx.content, incident.severity, ctx.speaker))))
    if result.state.status == "completed":
        extra.append(Outbound(ctx.say("incident.details_done", number=incident.number)))
    return result.replies + extra


async def _same_case(ctx: Ctx, config: IncidentConfig, answers: Mapping[str, Answer]) -> Incident | None:
    """The person's own open report of the same category filed within the content's window."""
    if not config.duplicate_minutes:
        return None
    since = ctx.now - timedelta(minutes=config.duplicate_minutes)
    return await service.recent_same(ctx.session, ctx.person.id, str(answers[config.category_question].value), since)


def _ask_same(ctx: Ctx, conversation: Conversation, same: Incident) -> Outbound:
    return Outbound(
        ctx.say("incident.same_case", number=same.number, at=jst(same.created_at, ctx.tz)), kind="question",
        options=(
            Choice(f"same:{conversation.id}:{same.id}", ctx.say("incident.same_note", number=same.number)),
            Choice(f"same:{conversation.id}:new", ctx.say("incident.same_new")),
        ),
        question_ref=f"{REF_PREFIX}:same",
    )


async def _same_press(ctx: Ctx, value: str) -> list[Outbound]:
    """「INC-… と同じ件ですか？」: add the new answers to that report as a note (the draft ends), or
    file a new report. Under an old question (the draft filed or ended since) nothing happens twice."""
    config = _config(ctx)
    conversation_id, _, choice = value.partition(":")
    conversation = await ctx.session.get(Conversation, int(conversation_id)) if conversation_id.isdecimal() else None
    if (
        config is None or conversation is None or conversation.person_id != ctx.person.id
        or conversation.flow_id != INCIDENT_FLOW or conversation.status not in ("active", "paused")
        or await service.incident_of_conversation(ctx.session, conversation.id) is not None
    ):
        return [Outbound(ctx.say("incident.draft_gone"), kind="reprompt")]
    answers = await repo.load_answers(ctx.session, conversation.id)
    if choice == "new":
        return await _file(ctx, config, conversation, answers)
    found = await ctx.session.get(Incident, int(choice)) if choice.isdecimal() else None
    incident = await _allowed(ctx, found, Action.UPDATE_INCIDENT, choice)
    if incident is None:
        return [Outbound(ctx.say("incident.not_found", number=""), kind="error")]
    what = answers.get("what")
    text = clean_text(str(what.value)) if what is not None and what.value else ""
    service.add_event(ctx.session, incident, "update", ctx.now, ctx.person.id, text=text or ctx.say("incident.same_again"))
    for key, attachment in answers.items():  # files sent with the draft go with its words
        if key.startswith(ATTACHMENT_KEY):
            service.add_event(ctx.session, incident, "attachment", ctx.now, ctx.person.id, data=attachment.value)
    conversation.status, conversation.updated_at = "cancelled", ctx.now
    return [Outbound(ctx.say("incident.same_noted", number=incident.number))]


async def _file(ctx: Ctx, config: IncidentConfig, conversation: Conversation, answers: Mapping[str, Answer]) -> list[Outbound]:
    programme = ctx.content.response.programme
    is_open = desk_open(ctx.now, programme.desk, ctx.tz) if programme else True
    incident, created = await service.file_incident(
        ctx.session, config, conversation_id=conversation.id, company_id=ctx.person.company_id,
        reporter_id=ctx.person.id, answers=answers, now=ctx.now, out_of_hours=not is_open,
        year=ctx.now.astimezone(ctx.tz).year,
    )
    pending = [a for k, a in answers.items() if k.startswith(ATTACHMENT_KEY)]
    for attachment in pending:
        service.add_event(ctx.session, incident, "attachment", ctx.now, ctx.person.id, data=attachment.value)
    if created:
        await _escalate(ctx, incident, answers, reason="filed")
    # The form asks more after the short path: those questions wait (paused) for 「詳しく答える」.
    details = conversation.status in ("active", "paused")
    if details:
        conversation.status, conversation.updated_at = "paused", ctx.now
    playbook = ctx.content.response.playbooks.get(incident.playbook_id or "")
    notes = []
    if not is_open and programme:
        opens = next_opening(ctx.now, programme.desk, ctx.tz).strftime("%m/%d %H:%M")
        notes.append(ctx.say("incident.out_of_hours_brief", opens=opens, button=ctx.say(f"brief.button_{CONTACTS}")))
    notes += [r.text for r in ask_once(ctx)]
    parts = [*([CHECKLIST] if playbook else []), CONTACTS, *([DETAILS] if details else [])]
    return [Outbound(
        brief(incident, playbook, ctx.content, ctx.speaker, notes), kind="question",
        options=part_buttons(parts, ctx.speaker), question_ref=f"{REF_PREFIX}:{incident.id}", lasting=True,
    )]


async def _checklist_part(ctx: Ctx, incident: Incident) -> list[Outbound]:
    """「チェックリスト全体」: every step, ticked or not, with the tick buttons of /incident show."""
    playbook = ctx.content.response.playbooks.get(incident.playbook_id or "")
    if playbook is None:
        return [Outbound(ctx.say("incident.no_checklist"), kind="error")]
    view = await _view(ctx, incident)
    text = "\n".join([
        headline(view, ctx.content, ctx.speaker), checklist(playbook, view.done, ctx.speaker),
        ctx.say("incident.checklist_hint", number=incident.number), ctx.say("incident.parts_hint", number=incident.number),
    ])
    return [_with_buttons(ctx, incident, text, playbook, view.done)]


async def _contacts_part(ctx: Ctx, incident: Incident) -> list[Outbound]:
    """「連絡先」: the report's destinations in full; while the desk is closed (as of the press, not
    of the filing), the emergency destinations after them."""
    programme = ctx.content.response.programme
    is_open = desk_open(ctx.now, programme.desk, ctx.tz) if programme else True
    sp = ctx.speaker
    view = await _view(ctx, incident)
    # compact, as the filing reply showed them before issue 17: a phone needs the numbers first
    parts = [headline(view, ctx.content, sp), destinations(incident.contacts, ctx.content, sp, desk_open=is_open, compact=True)]
    if not is_open and programme:
        opens = next_opening(ctx.now, programme.desk, ctx.tz)
        parts.append(ctx.say("incident.out_of_hours", opens=opens.strftime("%m/%d %H:%M")))
        parts.append(emergency_contacts(ctx.content, sp, category=incident.category, shown=incident.contacts))
    parts.append(ctx.say("incident.parts_hint", number=incident.number))
    return [Outbound("\n".join(parts))]


async def _details_part(ctx: Ctx, incident: Incident) -> list[Outbound]:
    """「詳しく答える」: the report's remaining questions, asked of its reporter, where they stopped."""
    conversation = await ctx.session.get(Conversation, incident.conversation_id)
    if conversation is None or conversation.person_id != ctx.person.id:
        return [Outbound(ctx.say("incident.details_reporter_only", number=incident.number), kind="error")]
    if conversation.status not in ("active", "paused"):
        return [Outbound(ctx.say("incident.details_complete", number=incident.number))]
    from bot.turn.conversations import resume_flow

    resumed = await resume_flow(ctx, conversation)
    return [Outbound(ctx.say("incident.details_next", number=incident.number)), *resumed[1:]]  # not "continuing"


PARTS = {CHECKLIST: _checklist_part, CONTACTS: _contacts_part, DETAILS: _details_part}


async def _escalate(ctx: Ctx, incident: Incident, answers: Mapping[str, Answer], *, reason: str) -> None:
    company = await repo.company_by_id(ctx.session, incident.company_id)
    view = IncidentView(incident, answers, company.name if company else "", frozenset())
    recipients = await escalation_recipients(ctx.session, incident)
    reporter = await ctx.session.get(Person, incident.reporter_id) if incident.reporter_id else None

    def render(lang: str) -> Outbound:
        from bot.engine.render import Speaker

        sp = Speaker(lang, ctx.content.book, ctx.content.words, ctx.speaker.today)
        title = sp.say(f"incident.notice_{reason}")
        lines = [title, *summary_lines(view, ctx.content, sp, ctx.tz), *context_line(ctx, answers, sp), *contact_line(reporter, sp)]
        return Outbound("\n".join(lines), kind="notice")

    await enqueue(
        ctx.session, kind="escalation", recipients=recipients, render=render, now=ctx.now,
        ref=f"incident:{incident.id}:{reason}:{incident.severity}", audience=f"incident:{incident.number}",
        payload={"incident": incident.number, "reason": reason},
    )
    service.add_event(ctx.session, incident, "escalated", ctx.now, data={"reason": reason, "recipients": len(recipients)})


# --- attachments

ATTACHMENT_KEY = "_attachment"


async def record_attachments(ctx: Ctx, inbound: Inbound, active: Conversation | None) -> list[Outbound]:
    """Files are kept as references with the report; the bot never opens, fetches or runs them."""
    data = [_attachment_data(a) for a in inbound.attachments]
    if active is not None and active.flow_id == INCIDENT_FLOW:
        incident = await service.incident_of_conversation(ctx.session, active.id)
        if incident is None:  # not filed yet: kept with the draft, moved to the timeline on filing
            await repo.append_answers(
                ctx.session, active.id,
                [Recorded(f"{ATTACHMENT_KEY}{n}_{ctx.now.timestamp():.0f}", str(d["name"]), d) for n, d in enumerate(data)],
                ctx.now,
            )
            return [Outbound(ctx.say("incident.attachment_kept", count=len(data)))]
    else:
        incidents = await service.of_company(ctx.session, ctx.person.company_id) if ctx.person.company_id else []
        mine = [i for i in incidents if i.reporter_id == ctx.person.id]
        if not mine:
            return [Outbound(ctx.say("incident.attachment_nowhere"), kind="error")]
        incident = mine[0]
    for item in data:
        service.add_event(ctx.session, incident, "attachment", ctx.now, ctx.person.id, data=item)
    return [Outbound(ctx.say("incident.attachment_added", count=len(data), number=incident.number))]


def _attachment_data(attachment: Attachment) -> dict[str, object]:
    return {"name": attachment.name[:200], "ref": attachment.platform_ref[:500], "mime": attachment.mime_type, "size": attachment.size}


# --- follow-up commands


async def handle_incident(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    if _config(ctx) is None:
        return [Outbound(ctx.say("incident.unavailable"), kind="error")]
    words = args.split(maxsplit=2)
    sub = word_key(words[0]) if words else ""
    if not sub or sub in ("new", "report"):
        open_one = await repo.open_conversation(ctx.session, ctx.person.id, [INCIDENT_FLOW])
        if open_one is not None and sub != "new":
            # Never resume silently: the person may be reporting something else.
            return [Outbound(
                ctx.say("incident.draft_open", at=jst(open_one.updated_at, ctx.tz)), kind="question",
                options=(Choice(f"draft:{open_one.id}", ctx.say("incident.draft_continue")), Choice("draft:new", ctx.say("incident.draft_new"))),
                question_ref=f"{REF_PREFIX}:draft",
            )]
        return await start_report(ctx)
    if sub == "list" or ctx.content.words.commands.get(sub) == "status":  # /incident 状況, /incident status
        return await _list(ctx)
    if len(words) < 2:
        return [Outbound(ctx.say("incident.usage"), kind="error")]
    # Moving needs more than reading: someone who can see the incident is told why they cannot
    # move it (below), everyone else just does not find it.
    actions = {"show": Action.READ_INCIDENT, "note": Action.UPDATE_INCIDENT, "done": Action.UPDATE_INCIDENT,
               "undo": Action.UPDATE_INCIDENT, "move": Action.READ_INCIDENT,
               **{part: Action.READ_INCIDENT for part in PARTS}}
    if sub not in actions:
        return [Outbound(ctx.say("incident.usage"), kind="error")]
    found = await refs.candidates(ctx.session, words[1], incident_companies(ctx.actor))
    if len(found) > 1:  # only reports the person may see are counted, so this tells nothing new
        return [Outbound(ctx.say("incident.ambiguous", ref=clean_text(words[1])[:32], numbers=" / ".join(i.number for i in found)), kind="reprompt")]
    incident = await _allowed(ctx, found[0] if found else None, actions[sub], words[1])
    if incident is None:
        return [Outbound(ctx.say("incident.not_found", number=clean_text(words[1])[:32]), kind="error")]
    rest = words[2] if len(words) > 2 else ""
    if sub in PARTS:
        return await PARTS[sub](ctx, incident)
    if sub == "show":
        return await _show(ctx, incident)
    if sub == "note":
        return await _note(ctx, incident, rest)
    if sub == "move":
        return await _move(ctx, incident, rest)
    return await _tick(ctx, incident, rest, done=sub == "done")


def _may_move(ctx: Ctx, incident: Incident) -> bool:
    return ctx.may(Action.MOVE_INCIDENT, Resource(incident.company_id, incident.reporter_id, incident.number))


async def _allowed(ctx: Ctx, incident: Incident | None, action: Action, asked: str) -> Incident | None:
    """The incident if bot.policy allows the action on it. A refusal and a missing number get the
    same answer, so nobody learns whether another company's incident exists."""
    resource = Resource(
        company_id=incident.company_id if incident else None,
        owner_id=incident.reporter_id if incident else None,
        name=incident.number if incident else clean_text(asked)[:32],
    )
    return incident if ctx.may(action, resource) and incident is not None else None


async def _view(ctx: Ctx, incident: Incident) -> IncidentView:
    answers = await repo.load_answers(ctx.session, incident.conversation_id)
    company = await repo.company_by_id(ctx.session, incident.company_id)
    done = service.steps_done(await service.events_of(ctx.session, incident.id))
    return IncidentView(incident, answers, company.name if company else "", frozenset(done))


async def _list(ctx: Ctx) -> list[Outbound]:
    """Every open incident the person may see in one message: most severe first, then the oldest
    (it has waited longest), with the company's name where the list spans companies."""
    config = _config(ctx)
    assert config is not None
    companies = incident_companies(ctx.actor)
    found = await service.open_among(ctx.session, companies)
    found.sort(key=lambda i: (rank(config, i.severity), i.created_at, i.id))
    many = companies is None or len(companies) > 1
    lines = []
    for incident in found:
        # decide, not may: a list of headlines is not an audited read of each report (show is)
        if not decide(ctx.actor, Action.READ_INCIDENT, Resource(incident.company_id, incident.reporter_id, incident.number)).allowed:
            continue
        view = await _view(ctx, incident)
        line = headline(view, ctx.content, ctx.speaker) + "  " + jst(incident.created_at, ctx.tz)
        lines.append(line + (ctx.say("incident.list_company", company=view.company) if many else ""))
    count = len(lines)
    draft = await repo.open_conversation(ctx.session, ctx.person.id, [INCIDENT_FLOW])
    if draft is not None and await service.incident_of_conversation(ctx.session, draft.id) is None:
        lines.append(ctx.say("incident.draft", at=jst(draft.updated_at, ctx.tz)))
    if not lines:
        return [Outbound(ctx.say("incident.none_open" if ctx.person.role in (Role.MEMBER, Role.LEAD) else "incident.none_open_followed"))]
    return [Outbound("\n".join([ctx.say("incident.list_title", count=count), *lines, ctx.say("incident.list_hint")]))]


async def handle_incidents(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    """/incidents: the list, as /incident status."""
    return await handle_incident(ctx, inbound, "status")


async def _show(ctx: Ctx, incident: Incident) -> list[Outbound]:
    view = await _view(ctx, incident)
    sp = ctx.speaker
    reporter = await ctx.session.get(Person, incident.reporter_id) if incident.reporter_id else None
    lines = [*summary_lines(view, ctx.content, sp, ctx.tz), *context_line(ctx, view.answers), *contact_line(reporter, sp)]
    parts = ["\n".join(lines)]
    playbook = ctx.content.response.playbooks.get(incident.playbook_id or "")
    if playbook:
        parts.append(checklist(playbook, view.done, sp))
    events = await service.events_of(ctx.session, incident.id)
    parts.append("\n".join([ctx.say("incident.timeline"), *(_event_line(ctx, e, playbook) for e in events[-8:])]))
    parts.append(ctx.say("incident.show_hint", number=incident.number))
    return [_with_buttons(ctx, incident, "\n\n".join(parts), playbook, view.done)]


def _with_buttons(ctx: Ctx, incident: Incident, text: str, playbook: Playbook | None, done: frozenset[str]) -> Outbound:
    """A report's message with its buttons: one per checklist step, in step order whether ticked
    or not (button n is step n, so a tick never renumbers the rest), then the statuses."""
    config = _config(ctx)
    assert config is not None
    options = [
        Choice(f"untick:{step.id}", ctx.say("incident.untick_button", n=n)) if step.id in done
        else Choice(f"tick:{step.id}", ctx.say("incident.tick_button", n=n))
        for n, step in enumerate(playbook.steps if playbook else [], 1)
    ]
    options += [
        Choice(f"status:{s.id}", ctx.say("incident.status_button", status=s.label.get(ctx.lang)))
        for s in config.statuses[1:] if s.id != incident.status
    ]
    return Outbound(text, kind="question", options=tuple(options), question_ref=f"{REF_PREFIX}:{incident.id}")


def _event_line(ctx: Ctx, event: IncidentEvent, playbook: Playbook | None) -> str:
    detail = event_detail(ctx.content, event, playbook, ctx.speaker)
    return ctx.say("incident.event_line", at=jst(event.at, ctx.tz), kind=ctx.say(f"incident.event_{event.kind}"), detail=detail).rstrip()


async def _note(ctx: Ctx, incident: Incident, text: str) -> list[Outbound]:
    try:
        kept = progress.note_text(text)
    except ValueError as exc:
        if str(exc) == "empty":
            return [Outbound(ctx.say("incident.note_empty"), kind="reprompt")]
        return [Outbound(ctx.say("reprompt.too_long", max=progress.NOTE_MAX, length=len(clean_text(text))), kind="reprompt")]
    await progress.add_note(ctx.session, ctx.content, incident, ctx.person, kept, ctx.now, ctx.speaker.today)
    return [Outbound(ctx.say("incident.note_added", number=incident.number))]


async def _tick(ctx: Ctx, incident: Incident, which: str, *, done: bool) -> list[Outbound]:
    playbook = ctx.content.response.playbooks.get(incident.playbook_id or "")
    if playbook is None:
        return [Outbound(ctx.say("incident.no_checklist"), kind="error")]
    ids = []
    parts = (part for chunk in ctx.content.words.separators.split(clean_text(which)) for part in chunk.split())
    for part in parts:
        if part.isdecimal() and 1 <= int(part) <= len(playbook.steps):
            ids.append(playbook.steps[int(part) - 1].id)
        elif part in {s.id for s in playbook.steps}:
            ids.append(part)
        elif part:
            return [Outbound(ctx.say("incident.bad_step", n=len(playbook.steps)), kind="reprompt")]
    if not ids:
        return [Outbound(ctx.say("incident.bad_step", n=len(playbook.steps)), kind="reprompt")]
    for step_id in ids:
        service.add_event(ctx.session, incident, "step", ctx.now, ctx.person.id, data={"step": step_id, "done": done})
    view = await _view(ctx, incident)
    return [_with_buttons(ctx, incident, checklist(playbook, view.done, ctx.speaker), playbook, view.done)]


async def _move(ctx: Ctx, incident: Incident, target: str) -> list[Outbound]:
    config = _config(ctx)
    assert config is not None
    status = progress.find_status(config, target)
    if status is None:
        labels = " / ".join(s.label.get(ctx.lang) for s in config.statuses[1:])
        return [Outbound(ctx.say("incident.bad_status", statuses=labels), kind="reprompt")]
    if not _may_move(ctx, incident):
        return [Outbound(ctx.say("incident.not_allowed"), kind="error")]
    if await progress.move_to(ctx.session, ctx.content, incident, ctx.person, status, ctx.now, ctx.speaker.today) is None:
        return [Outbound(ctx.say("incident.status_same", status=status.label.get(ctx.lang)))]
    return [Outbound(ctx.say("incident.status_changed", number=incident.number, status=status.label.get(ctx.lang)))]


async def handle_press(ctx: Ctx, inbound: Inbound, incident_id: str) -> list[Outbound]:
    """A button under a report: tick or untick a step, move the status (収束 and クローズ after one
    confirming press). A press under an old message acts on the report as it is now: a step ticked
    twice stays ticked, a status already reached says so."""
    action, _, value = (inbound.choice or "").partition(":")
    if action == "draft":
        return await _draft_press(ctx, value)
    if action == "same":
        return await _same_press(ctx, value)
    found = await ctx.session.get(Incident, int(incident_id)) if incident_id.isdecimal() else None
    part = part_of(inbound.choice)
    if action not in ("tick", "untick", "status", "confirm") and part is None:
        return [Outbound(ctx.say("flow.stale_press"), kind="reprompt")]
    needed = Action.UPDATE_INCIDENT if action in ("tick", "untick") else Action.READ_INCIDENT
    incident = await _allowed(ctx, found, needed, incident_id)
    if incident is None:
        return [Outbound(ctx.say("incident.not_found", number=""), kind="error")]
    if part is not None:  # a filing reply's button: the part of the incident the press names
        return await PARTS[part](ctx, incident)
    if action in ("tick", "untick"):
        return await _tick(ctx, incident, value, done=action == "tick")
    config = _config(ctx)
    assert config is not None
    status = next((s for s in config.statuses if s.id == value), None)
    if action == "status" and status is not None and status.confirm and status.id != incident.status:
        if not _may_move(ctx, incident):
            return [Outbound(ctx.say("incident.not_allowed"), kind="error")]
        label = status.label.get(ctx.lang)
        return [Outbound(
            ctx.say("incident.confirm_status", number=incident.number, status=label), kind="question",
            options=(Choice(f"confirm:{status.id}", ctx.say("incident.confirm_button", status=label)),),
            question_ref=f"{REF_PREFIX}:{incident.id}",
        )]
    return await _move(ctx, incident, value)


async def _draft_press(ctx: Ctx, value: str) -> list[Outbound]:
    """続きを答える / 新しい報告 under /incident. The draft pressed for must still be this person's
    open report; one finished or replaced since is said to be so, and nothing is resumed."""
    if value == "new":
        return await start_report(ctx)
    open_one = await repo.open_conversation(ctx.session, ctx.person.id, [INCIDENT_FLOW])
    if open_one is None or str(open_one.id) != value:
        return [Outbound(ctx.say("incident.draft_gone"), kind="reprompt")]
    from bot.turn.conversations import resume_flow

    return await resume_flow(ctx, open_one)

