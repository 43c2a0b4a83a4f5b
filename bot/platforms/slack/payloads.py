"""The parts of Slack's payloads the listeners read, as strict models: what Slack documents, with
Slack's own limits. A payload that does not fit (a wrong type, a missing field, a text longer than
Slack allows) did not come from Slack's clients as documented: it is ignored, with one log line
naming the fields at fault, never their content (a message's text stays out of the log).

intake.py has already checked the envelope slack-bolt reads (user, team, channel…); these models
check what our listeners read beyond it.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

log = logging.getLogger(__name__)

# Slack's limits: a message's text (chat.postMessage refuses more), a button's value, a block or
# action id, an option's value, a modal's private_metadata, a plain-text input's value.
MESSAGE_TEXT_MAX = 40_000
ACTION_VALUE_MAX = 2_000
ID_MAX = 255
OPTION_VALUE_MAX = 150
METADATA_MAX = 3_000
INPUT_VALUE_MAX = 3_000

SlackId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,64}$")]  # U…, W…, D…, C…, T…, V…
Token = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,255}$")]  # event ids, trigger ids, ts
Ref = Annotated[str, StringConstraints(max_length=ID_MAX)]  # block and action ids (ours: "q:12:employees")


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class TextObject(Strict):
    text: str = Field(default="", max_length=MESSAGE_TEXT_MAX)


class Option(Strict):
    value: str = Field(max_length=ACTION_VALUE_MAX)
    text: TextObject | None = None


class File(Strict):
    id: Token
    name: str | None = Field(default=None, max_length=ID_MAX * 4)
    mimetype: str | None = Field(default=None, max_length=ID_MAX)
    size: int | None = Field(default=None, ge=0)


class MessageEvent(Strict):
    """Any message event (edits, deletions and bot posts too): what Slack always sends with one."""

    channel: SlackId
    channel_type: str = Field(max_length=ID_MAX)
    ts: Token
    subtype: str | None = Field(default=None, max_length=ID_MAX)
    bot_id: str | None = Field(default=None, max_length=ID_MAX)
    user: SlackId | None = None


class PersonMessage(MessageEvent):
    """message.im from a person (no subtype, or file_share)."""

    user: SlackId
    text: str = Field(max_length=MESSAGE_TEXT_MAX)
    files: list[File] = Field(default_factory=list, max_length=100)


class MessageEnvelope(Strict):
    event_id: Token


class UserRef(Strict):
    id: SlackId


class Action(Strict):
    action_id: Ref
    block_id: Ref
    type: str = Field(default="", max_length=ID_MAX)
    value: str | None = Field(default=None, max_length=ACTION_VALUE_MAX)
    text: TextObject | None = None
    selected_option: Option | None = None
    action_ts: Token | None = None  # each click's own: tells a second press of a lasting button from a redelivery


class Container(Strict):
    type: str = Field(max_length=ID_MAX)
    channel_id: SlackId | None = None
    message_ts: Token | None = None
    view_id: SlackId | None = None


class PostedMessage(Strict):
    """The pressed message as Slack sends it back: what chat.update needs of it."""

    ts: Token
    text: str = Field(default="", max_length=MESSAGE_TEXT_MAX)
    blocks: list[dict[str, Any]] = Field(default_factory=list, max_length=100)


class ViewRef(Strict):
    id: SlackId
    hash: Token | None = None


class ElementState(Strict):
    type: str = Field(max_length=ID_MAX)
    value: str | None = Field(default=None, max_length=INPUT_VALUE_MAX)
    selected_option: Option | None = None
    selected_options: list[Option] | None = Field(default=None, max_length=100)


class State(Strict):
    values: dict[Ref, dict[Ref, ElementState]] = Field(default_factory=dict, max_length=100)


class BlockActions(Strict):
    user: UserRef
    actions: list[Action] = Field(min_length=1, max_length=1)  # one action per payload, as documented
    container: Container
    trigger_id: Token | None = None
    message: PostedMessage | None = None
    view: ViewRef | None = None
    state: State | None = None


class HomeOpened(Strict):
    user: SlackId
    tab: str = Field(max_length=ID_MAX)


class Command(Strict):
    """A slash command's form fields (all strings, as form encoding makes them; Slack sends each)."""

    user_id: SlackId
    channel_id: SlackId
    text: str = Field(max_length=MESSAGE_TEXT_MAX)
    trigger_id: Token


class Shortcut(Strict):
    user: UserRef
    trigger_id: Token


class SubmittedState(Strict):
    values: dict[Ref, dict[Ref, ElementState]] = Field(max_length=100)


class SubmittedView(Strict):
    id: SlackId
    hash: Token | None = None
    private_metadata: str = Field(default="", max_length=METADATA_MAX)
    state: SubmittedState


class ViewSubmission(Strict):
    user: UserRef
    view: SubmittedView


M = TypeVar("M", bound=Strict)


def read(model: type[M], data: Any, kind: str) -> M | None:
    """`data` as `model`, or None after one warning that names the fields at fault."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        ignored(kind, exc)
        return None


def ignored(kind: str, exc: ValidationError) -> None:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '(payload)'}: {error['type']}"
        for error in exc.errors(include_input=False, include_url=False)[:5]
    )
    log.warning("ignored a malformed Slack %s (%s)", kind, problems)
