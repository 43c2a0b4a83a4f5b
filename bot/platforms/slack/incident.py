"""Reporting an incident from Slack: the short form as a modal.

`/helpdesk incident` and the global shortcut `incident_report` call `report`: views.open with the
click's trigger_id at once, with a placeholder (a trigger expires 3 seconds after the click, so
nothing waits for the database before it), then views.update with the form's short path, built from
content/incident.yaml in the person's language. The submission (`view_submission`, FORM_CALLBACK) is
checked within its ack, the way the engine checks answers, and Slack shows the problems under the
fields; a good one goes to the engine as Inbound.form, which files the report exactly as the DM flow
does after its fourth answer; the reply and the detail questions come in the person's DM.

The menu's button (`report_in_dm`) keeps the question-by-question report in the DM, for those who
prefer it, and it is where `report` falls back when Slack does not open the modal.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from bot.content.models import Question
from bot.engine.messages import Inbound
from bot.engine.parse import Reprompt
from bot.engine.render import DEFAULT_TEXT_MAX, Speaker, question_choices, reprompt_text
from bot.handlers.incident import checked_answer, short_path
from bot.policy import Action, actor_for, decide
from bot.platforms.slack import payloads
from bot.platforms.slack.blocks import Block, context, from_engine, plain, section
from bot.platforms.slack.dialogue import Dialogue
from bot.platforms.slack.inbound import PLATFORM, Press
from bot.platforms.slack.limits import BUTTONS_MAX, OPTION_TEXT, PLACEHOLDER_TEXT, SELECT_OPTIONS_MAX, fit
from bot.store import repo

log = logging.getLogger(__name__)

INCIDENT_CALLBACK = "incident_report"  # the global shortcut's callback_id in manifest.yaml
FORM_CALLBACK = "incident_form"  # the modal's callback_id, named in its view_submission
ENGINE_COMMAND = "/incident"
FIELD = "f:"  # block_id of a question's input: "f:<question id>"
ANSWER = "answer"  # the action_id of each input's element
# Block Kit: a modal's title, submit and close texts; an input's label and hint; a text input.
TITLE_TEXT = 24
INPUT_LABEL_TEXT = 2000
HINT_TEXT = 2000
INPUT_MAX = 3000
RADIO_MAX = 10
ERROR_TEXT = 150  # our own bound: the line Slack shows under a field
LANGS = ("ja", "en")


# --- opening: the placeholder at once, the form after


async def report(dialogue: Dialogue, user_id: str, trigger_id: str) -> None:
    known = dialogue.known_language(user_id)  # no database before views.open
    opened = await dialogue.open_modal(trigger_id, loading_view(dialogue, known))
    if opened is None:
        await report_in_dm(dialogue, user_id)  # the trigger expired, or Slack refused: the DM still works
        return
    try:
        view = await _form_for(dialogue, user_id)
    except Exception:  # noqa: BLE001 - the modal must not stay on its placeholder; the log gets the trace
        log.exception("the incident form could not be prepared")
        lang = known or "ja"
        view = notice_view(dialogue, lang, dialogue.book.say("router.error", lang))
    await dialogue.update_modal(opened, view)


async def _form_for(dialogue: Dialogue, user_id: str) -> Block:
    """The form, in the person's language; or why there is none for them."""
    lang = await dialogue.language_for(user_id)
    config = dialogue.runtime.content.response.incident
    if config is None or dialogue.runtime.content.response.incident_flow is None:
        return notice_view(dialogue, lang, dialogue.book.say("incident.unavailable", lang))
    if not await _may_report(dialogue, user_id):
        return notice_view(dialogue, lang, dialogue.book.say("incident.not_registered", lang))
    return form_view(dialogue, _speaker(dialogue, lang), short_path(config))


async def report_in_dm(dialogue: Dialogue, user_id: str, press: Press | None = None) -> None:
    """The engine's /incident conversation in the DM, question by question."""
    inbound = Inbound(PLATFORM, user_id, text=ENGINE_COMMAND, event_id=press.key if press else None)
    channel = press.channel if press is not None and press.channel else dialogue.dm(user_id)
    await dialogue.converse(inbound, channel, press)


async def _may_report(dialogue: Dialogue, user_id: str) -> bool:
    """What bot.policy says about this person filing a report (read only: the engine decides again,
    and writes the audit line, when the form comes back)."""
    async with dialogue.runtime.sessions() as session:
        person = await repo.person_by_platform(session, PLATFORM, user_id)
        actor = await actor_for(session, person, f"{PLATFORM}:{user_id}")
    return decide(actor, Action.FILE_INCIDENT).allowed


def _speaker(dialogue: Dialogue, lang: str) -> Speaker:
    runtime = dialogue.runtime
    today = runtime.clock().astimezone(runtime.tz).date()
    return Speaker(lang, runtime.content.book, runtime.content.words, today)


# --- the views


def _title(dialogue: Dialogue, lang: str) -> dict[str, Any]:
    config = dialogue.runtime.content.response.incident
    title = config.form.title.get(lang) if config and config.form.title else dialogue.book.say("slack.menu.incident", lang)
    return plain(title, TITLE_TEXT)


def _modal(dialogue: Dialogue, lang: str, blocks: list[Block], **extra: Any) -> Block:
    return {
        "type": "modal", "callback_id": FORM_CALLBACK, "title": _title(dialogue, lang),
        "close": plain(dialogue.book.say("slack.modal.close", lang), TITLE_TEXT), "blocks": blocks, **extra,
    }


def loading_view(dialogue: Dialogue, lang: str | None) -> Block:
    """What the modal shows for the moment the form takes: in the language last seen, or both."""
    langs = [lang] if lang else list(LANGS)
    text = "\n".join(dialogue.book.say("slack.modal.loading", each) for each in langs)
    return _modal(dialogue, langs[0], [section(from_engine(text))])


def notice_view(dialogue: Dialogue, lang: str, text: str) -> Block:
    return _modal(dialogue, lang, [section(from_engine(text))])


def received_view(dialogue: Dialogue, lang: str) -> Block:
    return notice_view(dialogue, lang, dialogue.book.say("slack.modal.received", lang))


def asked(questions: list[Question]) -> list[Question]:
    """The questions a modal can ask: one answer each, no condition on other answers. Any other
    (a multi-choice, a conditional one) is left to the DM, where the engine asks what is missing."""
    return [q for q in questions if q.type != "multi_choice" and q.when is None]


def form_view(dialogue: Dialogue, sp: Speaker, questions: list[Question]) -> Block:
    config = dialogue.runtime.content.response.incident
    intro = config.form.sections[0].intro if config else None
    blocks: list[Block] = []
    if intro:
        blocks.append(section(from_engine(intro.get(sp.lang))))
    blocks.extend(_input(question, sp) for question in asked(questions))
    blocks.append(context(from_engine(sp.say("slack.modal.dm_hint"))))
    return _modal(
        dialogue, sp.lang, blocks, submit=plain(sp.say("slack.modal.submit"), TITLE_TEXT),
        private_metadata=json.dumps({"lang": sp.lang}),
    )


def _input(question: Question, sp: Speaker) -> Block:
    choices = question_choices(question, sp)
    element: Block
    if choices:
        options = [{"text": plain(c.label, OPTION_TEXT), "value": c.value} for c in choices]
        if len(choices) <= BUTTONS_MAX:
            element = {"type": "radio_buttons", "action_id": ANSWER, "options": options[:RADIO_MAX]}
        else:
            element = {
                "type": "static_select", "action_id": ANSWER, "options": options[:SELECT_OPTIONS_MAX],
                "placeholder": plain(sp.say("slack.choose"), PLACEHOLDER_TEXT),
            }
    else:
        limit = min(question.max_length or DEFAULT_TEXT_MAX, INPUT_MAX) if question.type == "text" else 200
        element = {"type": "plain_text_input", "action_id": ANSWER, "multiline": question.type == "text", "max_length": limit}
    label = question.label or question.text
    block: Block = {
        "type": "input", "block_id": FIELD + question.id, "optional": question.optional,
        "label": plain(label.get(sp.lang), INPUT_LABEL_TEXT), "element": element,
    }
    if question.label is not None:
        block["hint"] = plain(question.text.get(sp.lang), HINT_TEXT)
    return block


# --- the submission


@dataclass(frozen=True)
class Submission:
    user_id: str
    view_id: str
    lang: str
    answers: dict[str, str]  # question id -> option value or typed text; left out when left empty


def submission_of(body: dict[str, Any]) -> Submission | None:
    """A view_submission of the form; None (logged) for one not shaped as Slack sends it."""
    payload = payloads.read(payloads.ViewSubmission, body, "view_submission payload")
    if payload is None:
        return None
    answers = {}
    for block_id, elements in payload.view.state.values.items():
        state = elements.get(ANSWER)
        if not block_id.startswith(FIELD) or state is None:
            continue
        given = state.selected_option.value if state.selected_option else state.value
        if given is not None:  # Slack sends None for a field left empty; blank text is checked
            answers[block_id.removeprefix(FIELD)] = given
    return Submission(payload.user.id, payload.view.id, _metadata_language(payload.view.private_metadata), answers)


def _metadata_language(metadata: str) -> str:
    try:
        lang = json.loads(metadata).get("lang") if metadata else None
    except (ValueError, AttributeError):
        lang = None
    return lang if lang in LANGS else "ja"


def field_errors(dialogue: Dialogue, submitted: Submission) -> dict[str, str]:
    """Problems to show under the fields (block_id -> what to fix), found without the database: the
    engine's own check of each answer, in the language the form was shown in."""
    config = dialogue.runtime.content.response.incident
    if config is None:
        return {}
    sp = _speaker(dialogue, submitted.lang)
    errors = {}
    for question in asked(short_path(config)):
        given = submitted.answers.get(question.id)
        if given is None:
            if not question.optional:
                errors[FIELD + question.id] = _error_text(sp, question, Reprompt("reprompt.empty"))
            continue
        try:
            checked_answer(question, given, sp)
        except Reprompt as exc:
            errors[FIELD + question.id] = _error_text(sp, question, exc)
    return errors


def _error_text(sp: Speaker, question: Question, exc: Reprompt) -> str:
    if question_choices(question, sp):
        return fit(sp.say("slack.choose"), ERROR_TEXT)  # a menu: "choose one", not "type a number"
    return fit(reprompt_text(exc, sp), ERROR_TEXT)


async def file(dialogue: Dialogue, submitted: Submission) -> None:
    """The engine files the report; its answer and the detail questions go to the person's DM. One
    submission of one modal files once: the view id is the de-duplication key."""
    inbound = Inbound(
        PLATFORM, submitted.user_id, text=ENGINE_COMMAND, form=dict(submitted.answers),
        event_id=f"modal:{submitted.view_id}",
    )
    await dialogue.converse(inbound, dialogue.dm(submitted.user_id))
