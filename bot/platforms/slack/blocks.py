"""Outbound replies as Block Kit: sections for text, buttons / a select / checkboxes for options.

One Slack message per question: the texts that lead up to a question travel with it, and the
question's answer block comes last, so that after a press the whole message can be shown as a
filled form (`answered`). Every text is escaped mrkdwn cut to its Block Kit limit.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from bot.engine.i18n import MessageBook
from bot.engine.messages import Choice, Outbound
from bot.platforms.slack.commands import for_slack
from bot.platforms.slack.limits import (
    BLOCKS_PER_MESSAGE,
    BUTTON_TEXT,
    BUTTONS_MAX,
    CHECKBOXES_MAX,
    CONTEXT_TEXT,
    HEADER_TEXT,
    MESSAGE_TEXT,
    OPTION_TEXT,
    PLACEHOLDER_TEXT,
    SECTION_TEXT,
    SELECT_OPTIONS_MAX,
    fit,
    units,
)
from bot.platforms.slack.mrkdwn import escape

Block = dict[str, Any]
Say = Callable[..., str]

# block_id of an answer block: "q:<question ref>". Content ids are at most 64 characters, so a ref
# ("<conversation>:<group>[n].<id>") stays well inside Slack's 255 for a block_id. Options without
# a question ref (a notice offering /hearing, say) are sent back as if their value had been typed.
QUESTION = "q:"
LASTING = "v:"  # block_id of buttons that stay after a press (Outbound.lasting): "v:<ref>"
SAY = "say"
MENU = "menu"
# action_ids: answer_0 ... answer_4 (buttons), answer_select; pick (checkboxes), submit; menu_<item>
# (a menu button's value is the engine command it sends, as if typed)
ANSWER = "answer_"
PICK = "pick"
SUBMIT = "submit"
MENU_ITEM = "menu_"
MENU_ITEMS = ("hearing", "incident", "soudan", "status", "help")


def speaker(book: MessageBook, lang: str) -> Say:
    def say(key: str, **params: object) -> str:
        return book.say(key, lang, **params)

    return say


def from_engine(text: str) -> str:
    """An engine or content sentence as mrkdwn: commands in Slack's form, user text defused."""
    return escape(for_slack(text))


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(mrkdwn, SECTION_TEXT, avoid_entities=True)}}


def sections(mrkdwn: str) -> list[Block]:
    """A text longer than one section goes in several, split between lines (an incident's checklist
    and contacts are not to be cut short); only a single line longer than a section is cut."""
    chunks: list[str] = []
    current = ""
    for line in mrkdwn.split("\n"):
        joined = f"{current}\n{line}" if current else line
        if units(joined) <= SECTION_TEXT:
            current = joined
            continue
        chunks.append(current)
        current = line
    chunks.append(current)
    return [section(chunk) for chunk in chunks if chunk.strip()]


def context(mrkdwn: str) -> Block:
    text = fit(mrkdwn, CONTEXT_TEXT, avoid_entities=True)
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": fit(text, limit), "emoji": True}


def button(action_id: str, label: str, value: str, *, primary: bool = False) -> Block:
    element: Block = {"type": "button", "action_id": action_id, "text": plain(label, BUTTON_TEXT), "value": value}
    if primary:
        element["style"] = "primary"
    return element


def _option(choice: Choice) -> Block:
    return {"text": plain(choice.label, OPTION_TEXT), "value": choice.value}


def answer_elements(reply: Outbound, say: Say) -> list[Block]:
    choices = reply.options
    if reply.multi:
        picker: Block
        if len(choices) <= CHECKBOXES_MAX:
            picker = {"type": "checkboxes", "action_id": PICK, "options": [_option(c) for c in choices]}
        else:
            picker = {
                "type": "multi_static_select", "action_id": PICK,
                "placeholder": plain(say("slack.choose_many"), PLACEHOLDER_TEXT),
                "options": [_option(c) for c in choices[:SELECT_OPTIONS_MAX]],
            }
        return [picker, button(SUBMIT, say("slack.submit"), SUBMIT, primary=True)]
    if len(choices) <= BUTTONS_MAX:
        return [button(f"{ANSWER}{i}", c.label, c.value) for i, c in enumerate(choices)]
    return [{
        "type": "static_select", "action_id": f"{ANSWER}select",
        "placeholder": plain(say("slack.choose"), PLACEHOLDER_TEXT),
        "options": [_option(c) for c in choices[:SELECT_OPTIONS_MAX]],
    }]


def reply_blocks(reply: Outbound, say: Say) -> list[Block]:
    blocks = sections(from_engine(reply.text))
    if reply.options:
        blocks.append({
            "type": "actions",
            "block_id": (LASTING if reply.lasting else QUESTION) + reply.question_ref if reply.question_ref else SAY,
            "elements": answer_elements(reply, say),
        })
    return blocks


def group_replies(replies: Sequence[Outbound]) -> list[list[Outbound]]:
    """Split replies into messages: each message ends at a reply with options, and stays inside
    Slack's 50 blocks. A reply with files is a message of its own (its text is their comment)."""
    groups: list[list[Outbound]] = []
    current: list[Outbound] = []
    size = 0
    for reply in replies:
        need = len(sections(from_engine(reply.text))) + bool(reply.options)
        if current and (size + need > BLOCKS_PER_MESSAGE or reply.files):
            groups.append(current)
            current, size = [], 0
        current.append(reply)
        size += need
        if reply.options or reply.files:
            groups.append(current)
            current, size = [], 0
    if current:
        groups.append(current)
    return groups


def message(replies: Sequence[Outbound], say: Say) -> Block:
    """chat.postMessage arguments (text and blocks) for one group of replies."""
    blocks = [block for reply in replies for block in reply_blocks(reply, say)]
    text = "\n\n".join(from_engine(reply.text) for reply in replies)
    return {"text": fit(text, MESSAGE_TEXT, avoid_entities=True), "blocks": blocks[:BLOCKS_PER_MESSAGE]}


def answered(original: Block, block_id: str, line: str) -> Block:
    """chat.update arguments: the pressed message as a filled form. The question stays; its answer
    block gives way to `line` (escaped mrkdwn) saying what was chosen."""
    kept = [b for b in original.get("blocks") or [] if b.get("block_id") != block_id]
    text = original.get("text") or ""
    if not kept and text:
        kept = [section(text)]  # a client that sent no blocks back: the text is ours, already escaped
    return {"text": text, "blocks": [*kept, context(line)]}


def menu(say: Say) -> Block:
    title = from_engine(say("slack.menu.title"))
    buttons = [button(f"{MENU_ITEM}{item}", say(f"slack.menu.{item}"), f"/{item}") for item in MENU_ITEMS]
    return {"text": title, "blocks": [section(title), {"type": "actions", "block_id": MENU, "elements": buttons}]}
