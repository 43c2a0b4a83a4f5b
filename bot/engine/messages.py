"""The platform-neutral messages: what a person sent (Inbound) and what the bot answers (Outbound).

Adapters translate platform payloads to Inbound and Outbound to platform calls; handlers never see
a platform library.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, Mapping


@dataclass(frozen=True)
class Attachment:
    """A file someone sent: only a reference is kept; the bot never opens, fetches or runs it."""

    name: str
    platform_ref: str
    mime_type: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class OutFile:
    """A file the bot made (a draft document) and sends with a reply: the bytes travel with it, so
    the outbox can send it after a restart. Handlers keep it under the size the settings allow."""

    name: str  # what the person sees: csirt-checklist.xlsx
    mime_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Inbound:
    platform: str  # console | slack | telegram
    user_id: str  # the platform's user id
    text: str = ""
    chat_id: str | None = None
    display_name: str | None = None
    language: str | None = None  # the platform's hint: Slack locale, Telegram language_code
    event_id: str | None = None  # for de-duplication: Slack event_id/action id, Telegram update_id
    choice: str | None = None  # the option value of a pressed button
    choices: tuple[str, ...] | None = None  # the option values of a submitted multi-choice
    reply_to: str | None = None  # the question ref ("<conversation>:<key>") a press belongs to
    attachments: tuple[Attachment, ...] = ()
    in_group: bool = False
    # A form the platform showed and the person filled in at once (a Slack modal): question id ->
    # option value or typed text. `text` names the form's command ("/incident").
    form: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


OutKind = Literal["text", "question", "reprompt", "notice", "error"]


@dataclass(frozen=True)
class Outbound:
    text: str
    kind: OutKind = "text"
    options: tuple[Choice, ...] = ()
    multi: bool = False
    question_ref: str | None = None  # "<conversation>:<key>": lets a button press name its question
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    files: tuple[OutFile, ...] = ()  # files the bot sends with the text (platforms upload them)
    # Buttons that show a part (a filing reply's checklist, contacts) answer no question: they stay
    # pressable after a press, where a question's buttons give way to the answer chosen.
    lasting: bool = False


def split_ref(ref: str | None) -> tuple[int, str] | None:
    """'12:processes[1].rto' -> (12, 'processes[1].rto'); None for anything else."""
    if not ref or ":" not in ref:
        return None
    head, key = ref.split(":", 1)
    return (int(head), key) if head.isdigit() and key else None


def outbound_to_json(message: Outbound) -> dict[str, Any]:
    """For the outbox: an Outbound survives a restart as JSON (a file's bytes as base64)."""
    data = asdict(replace(message, files=()))
    data["files"] = [
        {"name": f.name, "mime_type": f.mime_type, "data": base64.b64encode(f.data).decode("ascii")}
        for f in message.files
    ]
    return data


def outbound_from_json(data: dict[str, Any]) -> Outbound:
    return Outbound(
        text=data["text"],
        kind=data.get("kind", "text"),
        options=tuple(Choice(**c) for c in data.get("options", ())),
        multi=bool(data.get("multi", False)),
        question_ref=data.get("question_ref"),
        attachments=tuple(Attachment(**a) for a in data.get("attachments", ())),
        files=tuple(
            OutFile(f["name"], f["mime_type"], base64.b64decode(f["data"], validate=True)) for f in data.get("files", ())
        ),
        lasting=bool(data.get("lasting", False)),
    )
