"""The consultation quick list as a decision tree, walked by a pure step function.

State is the same FlowState as questionnaires: the answers (node id -> option value) and the cursor
(the node waiting for an answer). The path is recomputed from the answers, so "back" and a changed
answer can never leave the walk in an impossible place.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from bot.content.models import Contact, Outcome, TriageNode, TriageTree
from bot.engine.flow import Answer
from bot.engine.brief import CHECKLIST, CONTACTS, FIRST_STEPS, part_buttons
from bot.engine.messages import Choice, Outbound
from bot.engine.parse import Reprompt, clean_text, command_of, parse_choice, parse_yes_no
from bot.engine.render import Speaker, reprompt_text, yes_no_choices
from bot.engine.step import FlowInput, FlowState, Recorded

OFFER = "_offer"  # after an outcome: "file an incident report?" (no node id starts with _)
LEAF_REF = "leaf"  # a leaf's buttons: "leaf:<node id>", values "show:checklist" / "show:contacts"


class CompiledTree:
    def __init__(self, tree: TriageTree) -> None:
        self.tree = tree
        self.id = tree.id
        self.nodes = {node.id: node for node in tree.nodes}
        body = json.dumps(tree.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        self.version = hashlib.sha256(body.encode()).hexdigest()[:16]

    def snapshot(self) -> dict[str, Any]:
        return {"tree": self.tree.model_dump(mode="json")}

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> CompiledTree:
        return cls(TriageTree.model_validate(data["tree"]))

    def path(self, answers: Mapping[str, Answer]) -> list[TriageNode]:
        """The nodes walked so far: from the start, following each answered option."""
        nodes: list[TriageNode] = []
        node: TriageNode | None = self.nodes[self.tree.start]
        while node is not None and node.id not in {n.id for n in nodes}:
            nodes.append(node)
            answer = answers.get(node.id)
            if node.options is None or answer is None:
                break
            option = next((o for o in node.options if o.value == answer.value), None)
            node = self.nodes.get(option.next) if option else None
        return nodes

    def labels(self, answers: Mapping[str, Answer], lang: str) -> list[str]:
        """The options chosen along the path, as the person saw them (pre-fills a report)."""
        out = []
        for node in self.path(answers):
            answer = answers.get(node.id)
            for option in node.options or ():
                if answer is not None and option.value == answer.value:
                    out.append(option.label.get(lang))
        return out


@dataclass(frozen=True)
class TriageView:
    """What the walk shows besides the tree: the destinations, and what this person may see."""

    contacts: Mapping[str, Contact]
    registered: bool
    desk_open: bool
    desk_contact: str


@dataclass(frozen=True)
class TriageResult:
    state: FlowState
    replies: list[Outbound]
    recorded: list[Recorded] = field(default_factory=list)
    report_category: str | None = None  # set when the person asked for an incident report


def triage_step(tree: CompiledTree, state: FlowState, inp: FlowInput, sp: Speaker, view: TriageView) -> TriageResult:
    if inp.kind == "start":
        first = tree.nodes[tree.tree.start]
        intro = Outbound(sp.say("triage.intro", title=tree.tree.title.get(sp.lang)))
        return TriageResult(replace(state, cursor=first.id, status="active"), [intro, _ask(first, sp)])
    if inp.kind == "resume" or state.status == "paused":
        resumed = replace(state, status="active")
        return TriageResult(resumed, [_current(tree, resumed, sp, view)])
    if state.status != "active":
        return TriageResult(state, [Outbound(sp.say("flow.not_active"))])
    if state.cursor == OFFER:
        return _offer_answer(tree, state, inp, sp)

    node = tree.nodes.get(state.cursor or "")
    if node is None or node.options is None:
        return TriageResult(replace(state, status="completed", cursor=None), [Outbound(sp.say("flow.not_active"))])
    if inp.reply_to is not None and inp.reply_to != node.id:
        return TriageResult(state, [Outbound(sp.say("flow.stale_press"), kind="reprompt"), _ask(node, sp)])

    command = None if inp.choice is not None else command_of(inp.text, sp.words)
    if command == "back":
        path = tree.path(state.answers)
        index = next((i for i, n in enumerate(path) if n.id == node.id), 0)
        if index == 0:
            return TriageResult(state, [Outbound(sp.say("flow.no_back"), kind="reprompt"), _ask(node, sp)])
        previous = path[index - 1]
        return TriageResult(replace(state, cursor=previous.id), [_ask(previous, sp)])
    if command in ("cancel", "pause"):
        return TriageResult(replace(state, status="cancelled", cursor=None), [Outbound(sp.say("triage.ended"))])
    if command == "help":
        return TriageResult(state, [Outbound((node.help.get(sp.lang) + "\n" if node.help else "") + sp.say("triage.help"))])

    try:
        if inp.choice is not None:
            if inp.choice not in {o.value for o in node.options}:
                raise Reprompt("reprompt.choice", n=len(node.options))
            value, raw = inp.choice, next(o.label.get(sp.lang) for o in node.options if o.value == inp.choice)
        else:
            value = parse_choice(clean_text(inp.text), node.options, sp.words)  # type: ignore[arg-type]
            raw = clean_text(inp.text)
    except Reprompt as exc:
        return TriageResult(state, [Outbound(reprompt_text(exc, sp), kind="reprompt")])

    recorded = Recorded(node.id, raw, value)
    answers = {**state.answers, node.id: Answer(value, raw)}
    option = next(o for o in node.options if o.value == value)
    following = tree.nodes[option.next]
    new_state = replace(state, answers=answers)
    if following.outcome is None:
        return TriageResult(replace(new_state, cursor=following.id), [_ask(following, sp)], [recorded])
    replies = [render_outcome(following.id, following.outcome, sp, view)]
    if following.outcome.report_category and view.registered:
        replies.append(
            Outbound(sp.say("triage.offer_report"), kind="question", options=yes_no_choices(sp), question_ref=OFFER)
        )
        return TriageResult(replace(new_state, cursor=OFFER), replies, [recorded])
    if following.outcome.report_category:
        replies.append(Outbound(sp.say("triage.register_to_report")))
    return TriageResult(replace(new_state, cursor=None, status="completed"), replies, [recorded])


def outcome_of(tree: CompiledTree, answers: Mapping[str, Answer]) -> Outcome | None:
    path = tree.path(answers)
    last = path[-1] if path else None
    if last is None or last.options is None:
        return last.outcome if last else None
    answer = answers.get(last.id)
    option = next((o for o in last.options if answer and o.value == answer.value), None)
    return tree.nodes[option.next].outcome if option else None


def _offer_answer(tree: CompiledTree, state: FlowState, inp: FlowInput, sp: Speaker) -> TriageResult:
    try:
        if inp.choice is not None:
            wants = inp.choice == "yes"
        else:
            wants = parse_yes_no(clean_text(inp.text), sp.words)
    except Reprompt as exc:
        return TriageResult(state, [Outbound(reprompt_text(exc, sp), kind="reprompt")])
    done = replace(state, cursor=None, status="completed")
    recorded = Recorded(OFFER, clean_text(inp.text) or str(inp.choice), wants)
    if not wants:
        return TriageResult(done, [Outbound(sp.say("triage.no_report"))], [recorded])
    outcome = outcome_of(tree, state.answers)
    return TriageResult(done, [], [recorded], report_category=outcome.report_category if outcome else None)


def _ask(node: TriageNode, sp: Speaker) -> Outbound:
    assert node.text is not None and node.options is not None
    return Outbound(
        node.text.get(sp.lang),
        kind="question",
        options=tuple(Choice(o.value, o.label.get(sp.lang)) for o in node.options),
        question_ref=node.id,
    )


def _current(tree: CompiledTree, state: FlowState, sp: Speaker, view: TriageView) -> Outbound:
    if state.cursor == OFFER:
        return Outbound(sp.say("triage.offer_report"), kind="question", options=yes_no_choices(sp), question_ref=OFFER)
    node = tree.nodes.get(state.cursor or tree.tree.start) or tree.nodes[tree.tree.start]
    return _ask(node, sp)


def render_contact(contact: Contact, sp: Speaker, *, desk_closed: bool = False, compact: bool = False) -> str:
    """A destination: what it handles (and not), then how to reach it. `compact` (name and channels
    only) is for lists the person has already seen in full, to keep a phone screen short."""
    lines = [sp.say("contact.name", name=contact.name.get(sp.lang))]
    if not compact:
        lines.append(sp.say("contact.handles", text=contact.handles.get(sp.lang)))
        if contact.not_handles:
            lines.append(sp.say("contact.not_handles", text=contact.not_handles.get(sp.lang)))
    for channel in contact.channels:
        label = channel.label.get(sp.lang) if channel.label else sp.say(f"contact.kind_{channel.kind}")
        line = sp.say("contact.channel", label=label, value=channel.value)
        if channel.hours:
            line += sp.say("contact.channel_hours", hours=channel.hours.get(sp.lang))
        lines.append(line)
    if contact.hours:
        lines.append(sp.say("contact.hours", hours=contact.hours.get(sp.lang)))
    if desk_closed:
        lines.append(sp.say("contact.closed_now"))
    return "\n".join(lines)


def visible_contacts(ids: list[str], view: TriageView) -> list[Contact]:
    """Unregistered people see public destinations only (the programme desk is for participants)."""
    found = [view.contacts[i] for i in ids if i in view.contacts]
    return [c for c in found if c.public or view.registered]


def render_outcome(node_id: str, outcome: Outcome, sp: Speaker, view: TriageView) -> Outbound:
    """A leaf's first reply, phone-sized: what it is, the first steps, and buttons for the rest of
    the steps and for the destinations. Its ref names the leaf, so an old button shows that leaf."""
    lines = [sp.say("triage.outcome_title", title=outcome.title.get(sp.lang)), outcome.summary.get(sp.lang)]
    shown = outcome.first_steps[:FIRST_STEPS]
    if shown:
        lines.append(sp.say("triage.first_steps"))
        lines.extend(f"{n}. {s.get(sp.lang)}" for n, s in enumerate(shown, 1))
    parts = []
    if len(outcome.first_steps) > len(shown):
        parts.append(CHECKLIST)
        button = sp.say(f"brief.button_{CHECKLIST}")
        lines.append(sp.say("triage.more_steps", count=len(outcome.first_steps) - len(shown), button=button))
    if visible_contacts(outcome.contacts, view):
        parts.append(CONTACTS)
    if not parts:
        return Outbound("\n".join(lines))
    return Outbound(
        "\n".join(lines), kind="question", options=part_buttons(parts, sp), question_ref=f"{LEAF_REF}:{node_id}", lasting=True,
    )


def render_leaf_part(outcome: Outcome, part: str, sp: Speaker, view: TriageView) -> Outbound:
    """What a leaf's button shows: every first step, or every destination in full."""
    lines = [sp.say("triage.outcome_title", title=outcome.title.get(sp.lang))]
    if part == CHECKLIST:
        lines.append(sp.say("triage.first_steps"))
        lines.extend(f"{n}. {s.get(sp.lang)}" for n, s in enumerate(outcome.first_steps, 1))
        return Outbound("\n".join(lines))
    lines.append(sp.say("triage.contacts"))
    for contact in visible_contacts(outcome.contacts, view):
        closed = contact.id == view.desk_contact and not view.desk_open
        lines.append(render_contact(contact, sp, desk_closed=closed))
    return Outbound("\n".join(lines))
