"""Load and check every content file.

`check_content` returns every problem found (file, key path, problem), so the secretariat can fix a
file in one pass; `load_content` raises `ContentInvalid` with the same list, and the bot refuses to
start on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from pydantic import BaseModel, ValidationError

from bot.content.models import (
    FLOW_WORDS,
    ContactBook,
    FindingsFile,
    FlowIndex,
    Group,
    IntakeConfig,
    Lexicon,
    Messages,
    Part,
    Question,
)
from bot.content.drafts import DraftTemplate, load_drafts
from bot.content.response import ResponseContent, load_response
from bot.content.desk import desk_facts, with_facts
from bot.content.findings import load_findings
from bot.content.yamlio import ContentYamlError, load_yaml
from bot.engine.flow import CompiledFlow
from bot.engine.i18n import MessageBook, placeholders
from bot.engine.parse import SCALE_ORDER, Words

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ContentIssue:
    file: str
    path: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.problem}"


class ContentInvalid(Exception):
    def __init__(self, issues: list[ContentIssue]) -> None:
        super().__init__(f"{len(issues)} problem(s) in content")
        self.issues = issues

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)


@dataclass(frozen=True)
class Content:
    directory: Path
    book: MessageBook
    words: Words
    parts: dict[str, Part]
    flows: dict[str, CompiledFlow]
    contacts: ContactBook | None
    response: ResponseContent
    intake: IntakeConfig | None = None  # content/intake.yaml: the bot's tasks for free text
    findings: FindingsFile = FindingsFile()  # content/hearing/findings.yaml: the briefing's rules
    drafts: dict[str, DraftTemplate] = field(default_factory=dict)  # content/drafts: by name (csirt-checklist)

    def hearing_flow(self, course: str) -> CompiledFlow | None:
        return next((f for f in self.flows.values() if f.definition.course == course), None)


class _Collector:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.issues: list[ContentIssue] = []
        self.invalid_parts: set[str] = set()  # file stems of part files reported as invalid
        # Facts written once and named in any text: {"desk_hours": {"ja": …, "en": …}} (desk.py).
        self.facts: dict[str, dict[str, str]] = {}

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.directory.parent))
        except ValueError:
            return str(path)

    def add(self, path: Path, key: str, problem: str) -> None:
        self.issues.append(ContentIssue(self.rel(path), key, problem))

    def model(self, path: Path, model: type[M], required: bool = True) -> M | None:
        if not path.exists():
            if required:
                self.add(path, "", "file is missing")
            return None
        try:
            raw = load_yaml(path)
        except ContentYamlError as exc:
            self.add(path, "", str(exc))
            return None
        if self.facts:
            raw = with_facts(raw, self.facts)
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                self.add(path, _key_path(raw, error["loc"]), _problem(error))
            return None


def _problem(error: Any) -> str:
    # Pydantic's wording is for programmers; the secretariat edits these files.
    if error["type"] == "extra_forbidden":
        return f"unknown key {error['loc'][-1]!r} (a typo? content/README.md lists the keys)"
    if error["type"] == "missing":
        return f"missing key {error['loc'][-1]!r}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


_TAGS = {"question", "group"}


def _key_path(raw: Any, loc: Iterable[Any]) -> str:
    """('sections', 0, 'items', 3, 'question', 'when') -> 'sections[it_env].items[backup_freq].when'.

    List items are named by their id when they have one: ids are what people search a file for."""
    out = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else part
            out += f"[{label}]"
            node = item
        elif part in _TAGS and isinstance(node, dict) and part not in node:
            continue  # a union tag added by pydantic, not a key of the file
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _load_parts(c: _Collector, directory: Path) -> dict[str, tuple[Path, Part]]:
    parts: dict[str, tuple[Path, Part]] = {}
    for path in sorted((directory / "hearing" / "parts").glob("*.yaml")):
        part = c.model(path, Part)
        if part is None:
            c.invalid_parts.add(path.stem)
            continue
        if part.id in parts:
            c.add(path, "id", f"part id {part.id!r} is also used in {c.rel(parts[part.id][0])}")
            continue
        groups = [(s, i) for s in part.sections for i in s.items if isinstance(i, Group)]
        if not all([_check_sheet_name(c, path, f"sections[{s.id}].items[{i.id}]", i) for s, i in groups]):
            c.invalid_parts.add(path.stem)
            continue
        parts[part.id] = (path, part)
    return parts


def _check_flow(
    c: _Collector, flows_path: Path, index: int, flow_id: str,
    part_ids: list[str], parts: dict[str, tuple[Path, Part]],
) -> bool:
    """Ids unique across the flow, and every `when:` on an earlier question with a fitting value."""
    ok = True
    seen: dict[str, Question | Group] = {}
    for part_id in part_ids:
        if part_id not in parts:
            if part_id not in c.invalid_parts:  # an invalid part file is reported on its own
                c.add(flows_path, f"flows[{flow_id}].parts", f"unknown part {part_id!r}")
            ok = False
    if not ok:
        return False
    for part_id in part_ids:
        path, part = parts[part_id]
        for section in part.sections:
            for item in section.items:
                where = f"sections[{section.id}].items[{item.id}]"
                if item.id in seen:
                    c.add(path, where + ".id", f"duplicate id {item.id!r} in flow {flow_id}")
                    ok = False
                if isinstance(item, Group):
                    ok &= _check_when(c, path, where, item.when, seen, flow_id)
                    seen[item.id] = item
                    inner: dict[str, Question | Group] = dict(seen)
                    for question in item.items:
                        qwhere = f"{where}.items[{question.id}]"
                        if question.id in inner:
                            c.add(path, qwhere + ".id", f"duplicate id {question.id!r} in flow {flow_id}")
                            ok = False
                        ok &= _check_when(c, path, qwhere, question.when, inner, flow_id)
                        inner[question.id] = question
                    for question in item.items:
                        seen.setdefault(f"{item.id}.{question.id}", question)  # not addressable from outside
                else:
                    ok &= _check_when(c, path, where, item.when, seen, flow_id)
                    seen[item.id] = item
    return ok


SHEET_NAME_MAX = 31  # Excel's limit on a sheet name
SHEET_NAME_FORBIDDEN = frozenset("[]:*?/\\")
SHEET_MESSAGES = "report.sheet_"  # the messages that name the XLSX report's own sheets


def sheet_name_problem(text: str) -> str | None:
    """Excel refuses a sheet name over 31 characters or with one of []:*?/\\ in it, and a name cut
    short would be a guess at what it said: the report's sheet names are checked here instead."""
    if len(text) > SHEET_NAME_MAX or SHEET_NAME_FORBIDDEN & set(text):
        return f"{text!r} names a sheet of the report: at most {SHEET_NAME_MAX} characters, none of []:*?/\\"
    return None


def _check_sheet_name(c: _Collector, path: Path, where: str, group: Group) -> bool:
    """A group's label names its table's sheet in the XLSX report."""
    if group.label is None:
        c.add(path, where + ".label", f"a group needs a label (at most {SHEET_NAME_MAX} characters): it names the report's sheet")
        return False
    ok = True
    for lang in ("ja", "en"):
        problem = sheet_name_problem(group.label.get(lang))
        if problem:
            c.add(path, f"{where}.label.{lang}", problem)
            ok = False
    return ok


def _check_when(
    c: _Collector, path: Path, where: str, when: Any,
    earlier: dict[str, Question | Group], flow_id: str,
) -> bool:
    if when is None:
        return True
    ok = True
    for condition in when if isinstance(when, list) else [when]:
        target = earlier.get(condition.question)
        if target is None or isinstance(target, Group):
            c.add(
                path, where + ".when.question",
                f"{condition.question!r} is not an earlier question of flow {flow_id}",
            )
            ok = False
            continue
        problem = _value_problem(target, condition)
        if problem:
            c.add(path, where + ".when", problem)
            ok = False
    return ok


def _value_problem(target: Question, condition: Any) -> str | None:
    if condition.answered is not None:
        return None
    if condition.includes is not None:
        if target.type != "multi_choice":
            return f"includes applies to multi_choice questions; {target.id!r} is {target.type}"
        values = [condition.includes]
    elif condition.equals is not None:
        values = [condition.equals]
    else:
        values = list(condition.in_ if condition.in_ is not None else condition.not_in or [])
    allowed: list[Any] | None = None
    if target.type in ("choice", "multi_choice"):
        allowed = [o.value for o in target.options or []]
    elif target.type == "yes_no":
        allowed = [True, False]
    elif target.type == "scale":
        allowed = list(SCALE_ORDER)
    if allowed is not None:
        bad = [v for v in values if v not in allowed]
        if bad:
            return f"{bad[0]!r} is not an answer of {target.id!r} (answers: {', '.join(map(str, allowed))})"
    return None


def _check_messages(c: _Collector, path: Path, messages: Messages) -> None:
    for key, text in messages.messages.items():
        if "desk_hours" in placeholders(text.ja) | placeholders(text.en):
            # Only left when programme.yaml has no desk.hours_text to put there (bot/content/desk.py).
            c.add(path, f"messages.{key}", "says {desk_hours} but content/programme.yaml has no desk.hours_text")
        for lang in ("ja", "en") if key.startswith(SHEET_MESSAGES) else ():
            problem = sheet_name_problem(text.get(lang))
            if problem:
                c.add(path, f"messages.{key}.{lang}", problem)
        if placeholders(text.ja) != placeholders(text.en):
            c.add(
                path, f"messages.{key}",
                f"ja uses {sorted(placeholders(text.ja))} but en uses {sorted(placeholders(text.en))}",
            )


def _load_messages(c: _Collector, directory: Path) -> Messages | None:
    """content/messages/*.yaml, merged: one file per area, so people editing different areas
    never edit the same file. A key defined twice is an error naming both files."""
    merged: dict[str, object] = {}
    origin: dict[str, Path] = {}
    files = sorted(directory.glob("*.yaml"))
    if not files:
        c.add(directory, "", "no message files (messages/*.yaml)")
        return None
    ok = True
    for path in files:
        book = c.model(path, Messages)
        if book is None:
            ok = False
            continue
        _check_messages(c, path, book)
        for key, text in book.messages.items():
            if key in merged:
                c.add(path, f"messages.{key}", f"also defined in {c.rel(origin[key])}")
                ok = False
            merged[key] = text
            origin[key] = path
    return Messages.model_validate({"messages": merged}) if ok else None


def _check_contacts(c: _Collector, path: Path, book: ContactBook) -> None:
    seen: set[str] = set()
    for contact in book.contacts:
        if contact.id in seen:
            c.add(path, f"contacts[{contact.id}].id", f"duplicate id {contact.id!r}")
        seen.add(contact.id)


def _collect(directory: Path) -> tuple[_Collector, Content | None]:
    c = _Collector(directory)
    if not directory.is_dir():
        c.add(directory, "", "content directory does not exist")
        return c, None
    c.facts = desk_facts(directory / "programme.yaml")
    messages = _load_messages(c, directory / "messages")
    lexicon = c.model(directory / "lexicon.yaml", Lexicon)
    parts = _load_parts(c, directory)
    flows_path = directory / "hearing" / "flows.yaml"
    index = c.model(flows_path, FlowIndex)
    flows: dict[str, CompiledFlow] = {}
    if index:
        for position, definition in enumerate(index.flows):
            if definition.id in flows:
                c.add(flows_path, f"flows[{definition.id}].id", f"duplicate flow id {definition.id!r}")
                continue
            if _check_flow(c, flows_path, position, definition.id, definition.parts, parts):
                flows[definition.id] = CompiledFlow.from_parts(
                    definition, {k: p for k, (_, p) in parts.items()}
                )
    every_flow = index is not None and all(d.id in flows for d in index.flows)
    findings = load_findings(c, directory / "hearing" / "findings.yaml", flows.values() if every_flow else None)
    contacts_path = directory / "contacts.yaml"
    contacts = c.model(contacts_path, ContactBook, required=False)
    if contacts:
        _check_contacts(c, contacts_path, contacts)
    response = load_response(c, directory, contacts)
    intake = c.model(directory / "intake.yaml", IntakeConfig, required=False)
    contact_ids = {contact.id for contact in contacts.contacts} if contacts else set()
    drafts = load_drafts(c, directory / "drafts", flows, contact_ids)
    if messages is not None:
        compiled = [*flows.values(), *([response.incident_flow] if response.incident_flow else [])]
        for flow in compiled:
            for word in FLOW_WORDS:
                if f"{flow.messages}.{word}" not in messages.messages:
                    c.add(directory / "messages", f"messages.{flow.messages}.{word}", f"flow {flow.id!r} needs this message")
    if c.issues or messages is None or lexicon is None or findings is None:
        return c, None
    content = Content(
        directory=directory,
        book=MessageBook(messages),
        words=Words(lexicon),
        parts={k: p for k, (_, p) in parts.items()},
        flows=flows,
        contacts=contacts,
        response=response,
        intake=intake,
        findings=findings,
        drafts=drafts,
    )
    return c, content


def check_content(directory: Path) -> list[ContentIssue]:
    collector, _ = _collect(directory)
    return collector.issues


def load_content(directory: Path) -> Content:
    collector, content = _collect(directory)
    if content is None:
        raise ContentInvalid(collector.issues)
    return content


_cache: dict[Path, Content] = {}


def cached_content(directory: Path, loader: Callable[[Path], Content] = load_content) -> Content:
    """Content is read once per process; the files are small but parsing them is not free."""
    key = directory.resolve()
    if key not in _cache:
        _cache[key] = loader(key)
    return _cache[key]
