"""Pydantic models of the content files (content/*.yaml).

Content is data the secretariat edits without code, so every model forbids unknown keys: a typo in
a key is reported by `helpdesk content check` instead of being silently ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
Lang = Literal["ja", "en"]
LANGS: tuple[Lang, ...] = ("ja", "en")


def refuse_duplicates(what: str, values: list[str]) -> None:
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise ValueError(f"duplicate {what}: {', '.join(dupes)}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A user-visible text: Japanese first, English second; both are required."""

    ja: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja


class Option(Strict):
    value: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", max_length=48)
    label: Text


class Condition(Strict):
    """`when:` on an earlier answer. Exactly one test besides `question`."""

    question: Id
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    not_in: list[Any] | None = None
    includes: str | None = None  # for multi_choice answers
    answered: bool | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [
            name
            for name in ("equals", "in_", "not_in", "includes", "answered")
            if getattr(self, name) is not None
        ]
        if len(tests) != 1:
            raise ValueError("a condition needs exactly one of equals, in, not_in, includes, answered")
        return self


When = Union[Condition, list[Condition]]

QuestionType = Literal[
    "choice", "multi_choice", "yes_no", "scale", "text", "number", "date", "duration", "info"
]


class Question(Strict):
    id: Id
    type: QuestionType
    text: Text
    label: Text | None = None  # a short name for report columns and tables
    help: Text | None = None
    optional: bool = False
    when: When | None = None
    source: str | None = None
    options: list[Option] | None = None  # choice, multi_choice
    max_length: int | None = Field(default=None, ge=1, le=10_000)  # text
    min: float | None = None  # number
    max: float | None = None  # number
    integer: bool = True  # number
    unit: Text | None = None  # number
    not_future: bool = False  # date
    not_past: bool = False  # date
    approximate: bool = False  # date: a month or a year is answer enough (「2023年」「去年」)
    # 分からない is an answer unless the content says this question needs a real one.
    unknown: bool = True

    @model_validator(mode="after")
    def _fields_fit_type(self) -> Question:
        needs_options = self.type in ("choice", "multi_choice")
        if needs_options and not self.options:
            raise ValueError(f"a {self.type} question needs options")
        if not needs_options and self.options:
            raise ValueError(f"a {self.type} question takes no options")
        if self.options:
            refuse_duplicates("option values", [o.value for o in self.options])
        if self.max_length is not None and self.type != "text":
            raise ValueError("max_length applies to text questions only")
        if (self.min is not None or self.max is not None or self.unit) and self.type != "number":
            raise ValueError("min, max and unit apply to number questions only")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        if (self.not_future or self.not_past or self.approximate) and self.type != "date":
            raise ValueError("not_future, not_past and approximate apply to date questions only")
        if not self.unknown and any(o.value == "unknown" for o in self.options or ()):
            raise ValueError("a question with unknown: false cannot offer an unknown option")
        if self.type == "info" and self.optional:
            raise ValueError("an info item is never answered, so it cannot be optional")
        return self

    @property
    def answerable(self) -> bool:
        return self.type != "info"


class Group(Strict):
    """A repeating group: its items are asked once per entry (e.g. per key business process)."""

    id: Id
    type: Literal["group"]
    text: Text
    label: Text | None = None  # a short name for the report's table
    more: Text  # asked after each entry: is there another one?
    max_repeat: int = Field(default=10, ge=1, le=50)
    when: When | None = None
    source: str | None = None
    items: list[Question] = Field(min_length=1)

    @field_validator("items")
    @classmethod
    def _no_info_only(cls, items: list[Question]) -> list[Question]:
        if not any(q.answerable for q in items):
            raise ValueError("a group needs at least one question that is answered")
        return items


def _item_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "group" if value.get("type") == "group" else "question"
    return "group" if isinstance(value, Group) else "question"


# Chosen by `type` first so that a broken item gets one precise error, not one per possible model.
Item = Annotated[
    Union[Annotated[Question, Tag("question")], Annotated[Group, Tag("group")]],
    Discriminator(_item_kind),
]


class Section(Strict):
    id: Id
    title: Text
    intro: Text | None = None
    source: str | None = None
    items: list[Item] = Field(min_length=1)


class Part(Strict):
    """A reusable block of sections (the common hearing part, the IT-BCP course part)."""

    id: Id
    title: Text
    source: str | None = None
    sections: list[Section] = Field(min_length=1)


class Finding(Strict):
    """A rule of the expert's briefing: when its conditions hold on the hearing's answers (all of
    them, as in a question's `when:`), the report lists its text as a finding, with its source."""

    id: Id
    when: When
    text: Text
    source: str = Field(min_length=1)  # only what the source says: the finding is shown as its claim


class FindingsFile(Strict):
    """content/hearing/findings.yaml: the questions shown as the company's profile on the report's
    summary page, and the finding rules, in the order the report lists them."""

    profile: list[Id] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)

    @field_validator("findings")
    @classmethod
    def _unique_ids(cls, findings: list[Finding]) -> list[Finding]:
        refuse_duplicates("finding ids", [f.id for f in findings])
        return findings


# What a flow says of itself, under its own key prefix (`messages:`): a hearing's pause tells how
# to resume a hearing, an incident report's how to resume a report.
FLOW_WORDS = ("started", "resumed", "paused", "cancel_confirm", "cancelled", "completed")


class FlowDef(Strict):
    id: Id
    title: Text
    course: Literal["csirt", "it-bcp"] | None = None
    parts: list[Id] = Field(min_length=1)
    source: str | None = None
    messages: Id = "flow"  # the prefix of its FLOW_WORDS in content/messages: flow.paused, …


class FlowIndex(Strict):
    flows: list[FlowDef] = Field(min_length=1)


class Messages(Strict):
    """content/messages.yaml: every sentence the bot says outside a questionnaire."""

    messages: dict[str, Text]

    @field_validator("messages")
    @classmethod
    def _keys_are_ids(cls, messages: dict[str, Text]) -> dict[str, Text]:
        bad = [k for k in messages if not re.fullmatch(r"[a-z][a-z0-9_.\-]*", k)]
        if bad:
            raise ValueError(f"message keys must be lower-case ids: {', '.join(bad)}")
        return messages


class Channel(Strict):
    """One way to reach a destination. `value` is exactly what the destination publishes."""

    kind: Literal["phone", "email", "web", "form"]
    value: str = Field(min_length=1)
    label: Text | None = None
    hours: Text | None = None
    source: str | None = None  # when this channel comes from another page than the contact's


class Contact(Strict):
    id: Id
    name: Text
    handles: Text
    not_handles: Text | None = None
    hours: Text | None = None
    channels: list[Channel] = Field(default_factory=list)
    emergency: bool = False  # listed when the programme desk is closed
    public: bool = True  # false: only for registered participants (the programme's own desk)
    generic: bool = False  # not one organisation ("your own CSIRT", "your provider"): no channels
    source: str = Field(min_length=1)
    checked: str | None = None  # when and how the contact points were checked against `source`

    @model_validator(mode="after")
    def _channels_unless_generic(self) -> Contact:
        if not self.generic and not self.channels:
            raise ValueError("a contact needs at least one channel (or generic: true)")
        if self.generic and self.channels:
            raise ValueError("a generic contact has no channels of its own")
        return self


class ContactBook(Strict):
    contacts: list[Contact] = Field(min_length=1)


class Commands(Strict):
    back: list[str]
    next: list[str]
    skip: list[str]
    pause: list[str]
    cancel: list[str]
    help: list[str]
    status: list[str]
    hearing: list[str]
    start: list[str]
    menu: list[str]
    soudan: list[str]
    incident: list[str]


class ScaleWords(Strict):
    high: list[str]
    medium: list[str]
    low: list[str]


class Lexicon(Strict):
    """content/lexicon.yaml: the words people type, used by the input parsers."""

    yes: list[str] = Field(min_length=1)
    no: list[str] = Field(min_length=1)
    # 分からない as people type it: an answer of its own, not a skip (Question.unknown).
    unknown: list[str] = Field(default_factory=list)
    commands: Commands
    # What follows /hearing (review, submit, allow), in the words people type.
    sheet_actions: dict[Literal["review", "submit", "allow"], list[str]] = Field(default_factory=dict)
    scale: ScaleWords
    duration_units: dict[int, list[str]]
    half: str
    duration_words: dict[str, int]
    relative_days: dict[str, int]
    date_patterns: list[str] = Field(min_length=1)
    eras: dict[str, int]
    first_year_word: str
    approx: list[str]
    counters: list[str] = Field(default_factory=list)
    multipliers: dict[str, int]
    list_separators: str
    # For the free-text intake: word -> the ways people also write it (kana, other spellings,
    # English); every variant is read as the word before matching, so phrases need not list them all.
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    # Endings that hedge or soften (かもしれない, みたいです): they say nothing about what happened,
    # and left in they would match every phrase that hedges the same way.
    fillers: list[str] = Field(default_factory=list)
    # Times of day as people type them after a date (14:00, 14時, 14時30分, 14時半): named groups h
    # (hour), optional mi (minutes) and half (half past). Without the list, only HH:MM.
    time_patterns: list[str] = Field(default_factory=lambda: [r"(?P<h>\d{1,2}):(?P<mi>\d{2})"])
    # Whole numbers in words: kanji digits and units (三, 十五, 二百), English words (two, twenty),
    # and the articles that mean one before a unit of time ("a day", "an hour").
    kanji_digits: dict[str, int] = Field(default_factory=dict)
    kanji_units: dict[str, int] = Field(default_factory=dict)
    number_words: dict[str, int] = Field(default_factory=dict)
    articles: list[str] = Field(default_factory=list)
    # Words between the choices of a multi-choice answer (「Windowsとmac」, "windows and mac").
    list_words: list[str] = Field(default_factory=list)
    # After a length of time, "worth of" (「1日分」 is one day): never after a number (30分 is minutes).
    duration_worth: str | None = None
    # For dates where the question accepts an approximate one (Question.approximate): a year or a
    # month alone. Named groups y, m (either may be missing), era.
    approx_date_patterns: list[str] = Field(default_factory=list)
    relative_years: dict[str, int] = Field(default_factory=dict)

    @field_validator("time_patterns")
    @classmethod
    def _time_patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"time pattern {pattern!r} does not compile: {exc}") from None
            if "h" not in compiled.groupindex:
                raise ValueError(f"time pattern {pattern!r} needs the named group h (hour)")
        return patterns

    @field_validator("date_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"date pattern {pattern!r} does not compile: {exc}") from None
            if "m" not in compiled.groupindex:
                raise ValueError(f"date pattern {pattern!r} needs the named group m (month)")
        return patterns

    @field_validator("approx_date_patterns")
    @classmethod
    def _approx_patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"date pattern {pattern!r} does not compile: {exc}") from None
            if not {"y", "m"} & set(compiled.groupindex):
                raise ValueError(f"approximate date pattern {pattern!r} needs the named group y or m")
        return patterns

    @model_validator(mode="after")
    def _yes_no_disjoint(self) -> Lexicon:
        both = set(map(str.lower, self.yes)) & set(map(str.lower, self.no))
        if both:
            raise ValueError(f"words in both yes and no: {', '.join(sorted(both))}")
        commands = {w.lower() for ws in self.commands.model_dump().values() for w in ws}
        clash = set(map(str.lower, self.unknown)) & (commands | set(map(str.lower, self.yes + self.no)))
        if clash:
            # 分からない is an answer: a word that is also a command or yes/no could not be both.
            raise ValueError(f"unknown words that are also commands or yes/no: {', '.join(sorted(clash))}")
        return self


# --- triage (content/triage.yaml): the consultation quick list as a decision tree


class TriageOption(Strict):
    value: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=48)
    label: Text
    # Any text: the loader's cross-check names a misspelt target "unknown node 'x'", which says
    # more to the person who typed it than the id pattern would.
    next: str = Field(min_length=1)


class Examples(Strict):
    """How people put it in their own words, for the free-text intake (bot/intake): casual and
    polite, kana and kanji, the typos people make. Five or more per language, so one odd phrase
    cannot decide a match on its own."""

    ja: list[str] = Field(min_length=5)
    en: list[str] = Field(min_length=5)

    @field_validator("ja", "en")
    @classmethod
    def _not_blank(cls, phrases: list[str]) -> list[str]:
        if any(not p.strip() for p in phrases):
            raise ValueError("an example phrase is empty")
        refuse_duplicates("example phrases", phrases)
        return phrases


class Outcome(Strict):
    """A leaf: what to do right now and whom to contact."""

    title: Text
    # Its first steps are shown at once when free text clearly names it (ransomware, a leak…).
    urgent: bool = False
    summary: Text
    first_steps: list[Text] = Field(default_factory=list)
    contacts: list[Id] = Field(min_length=1)
    playbook: Id | None = None
    report_category: Id | None = None  # offer an incident report pre-filled with this category
    source: str | None = None


class TriageNode(Strict):
    id: Id
    text: Text | None = None  # the question, for a question node
    help: Text | None = None
    options: list[TriageOption] | None = None
    outcome: Outcome | None = None
    examples: Examples | None = None  # a leaf's phrases for the free-text intake
    source: str | None = None

    @model_validator(mode="after")
    def _question_or_outcome(self) -> TriageNode:
        if (self.options is None) == (self.outcome is None):
            raise ValueError("a node has either options (a question) or an outcome (a leaf), not both")
        if self.options is not None and self.text is None:
            raise ValueError("a question node needs text")
        if self.options:
            refuse_duplicates("option values", [o.value for o in self.options])
        return self


class TriageTree(Strict):
    id: Id
    title: Text
    start: Id
    source: str | None = None
    nodes: list[TriageNode] = Field(min_length=1)


# --- free-text intake (content/intake.yaml): the bot's own tasks and how sure a match must be


class IntakeTask(Strict):
    id: Id
    command: str = Field(pattern=r"^[a-z]+$")  # the chat command it runs, without the slash
    label: Text  # the button
    examples: Examples


class IntakeConfig(Strict):
    candidate_overlap: float = Field(gt=0, le=1)
    confident_overlap: float = Field(gt=0, le=1)
    confident_margin: float = Field(ge=0, lt=1)
    candidates: int = Field(default=3, ge=1, le=3)
    tasks: list[IntakeTask] = Field(min_length=1)

    @field_validator("tasks")
    @classmethod
    def _unique_tasks(cls, tasks: list[IntakeTask]) -> list[IntakeTask]:
        refuse_duplicates("task ids", [t.id for t in tasks])
        return tasks


# --- playbooks (content/playbooks/*.yaml): first-response checklists


class PlaybookStep(Strict):
    id: Id
    text: Text
    detail: Text | None = None
    urgent: bool = False  # shown first, marked as "do this now"
    source: str | None = None


class Playbook(Strict):
    id: Id
    title: Text
    summary: Text | None = None
    steps: list[PlaybookStep] = Field(min_length=1)
    contacts: list[Id] = Field(default_factory=list)
    source: str = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _unique_steps(cls, steps: list[PlaybookStep]) -> list[PlaybookStep]:
        refuse_duplicates("step ids", [s.id for s in steps])
        return steps


# --- incidents (content/incident.yaml)


class Level(Strict):
    id: Id
    label: Text


class Status(Level):
    # Asked once more with one button before a press moves a report there (収束, クローズ): a
    # mistaken press on a phone must not close an incident.
    confirm: bool = False


class SeverityRule(Strict):
    """The first rule whose conditions hold gives the severity. `any`: one must hold; `all`: every one."""

    level: Id
    any: list[Condition] | None = None
    all: list[Condition] | None = None

    @model_validator(mode="after")
    def _has_conditions(self) -> SeverityRule:
        if not self.any and not self.all:
            raise ValueError("a severity rule needs `any` or `all` conditions")
        return self


class CategoryRoute(Strict):
    """Per incident category: its first-response playbook and whom to contact."""

    playbook: Id | None = None
    contacts: list[Id] = Field(default_factory=list)
    # Whom to call while the programme desk is closed, in this order; without it, every contact
    # marked `emergency`. 110 is for crimes in progress, not the first call for an infected PC.
    after_hours: list[Id] | None = None
    examples: Examples | None = None  # how people ask to report this kind, for the free-text intake


class ReportSection(Strict):
    """A section of the exported report and the form questions it shows."""

    id: Id
    title: Text
    questions: list[Id] = Field(min_length=1)


class IncidentConfig(Strict):
    form: Part  # the report form: its first section is the short path that files the report
    levels: list[Level] = Field(min_length=1)  # most severe first
    rules: list[SeverityRule]
    default_level: Id
    statuses: list[Status] = Field(min_length=2)  # in order; the first is the status of a new report
    categories: dict[str, CategoryRoute]
    category_question: Id  # the form question whose answer is the category
    summary_questions: list[Id] = Field(min_length=1)  # shown in notices and lists, in order
    # The same person filing the same category again within this time is asked whether it is the
    # same case (add as a note) before a second report is filed and escalated.
    duplicate_minutes: int = Field(30, ge=0)
    report_sections: list[ReportSection] = Field(min_length=1)  # the exported report's layout
    # An open report of a level named here with no update for that many desk hours reminds its
    # reporter and the company's lead once (scheduler/incidents.py).
    quiet_reminder_desk_hours: dict[Id, float] = Field(default_factory=dict)
    source: str | None = None


# --- the programme (content/programme.yaml)


class DeskHours(Strict):
    contact: Id  # the contact entry of the desk
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    opens: str = Field(pattern=r"^\d{2}:\d{2}$")
    closes: str = Field(pattern=r"^\d{2}:\d{2}$")
    closed_on_public_holidays: bool = True
    closed_dates: list[str] = Field(default_factory=list)  # YYYY-MM-DD, e.g. the year-end break
    # The hours as people read them; any text says {desk_hours} for it (bot/content/desk.py).
    hours_text: Text | None = None
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _text_says_the_hours(self) -> DeskHours:
        if self.hours_text is not None:
            for time in (self.opens, self.closes):
                shown = time.lstrip("0") if not time.startswith("00") else time
                if shown not in self.hours_text.ja or shown not in self.hours_text.en:
                    raise ValueError(f"hours_text does not say {shown} (opens/closes): write the hours once, the same")
        return self


class Retention(Strict):
    """How long rows that only grow are kept (days), applied by housekeeping every few hours.
    These are the secretariat's operating choices, not a legal rule: the programme ends, and its
    people's data must not stay for ever. Incidents, answers and companies are not here: they go
    with `helpdesk company purge`."""

    event_keys_days: int = Field(default=7, ge=1)  # platforms redeliver within hours
    keyboards_days: int = Field(default=90, ge=1)  # a keyboard may be pressed long after it was sent
    link_codes_days: int = Field(default=30, ge=1)  # counted from the code's expiry
    outbox_days: int = Field(default=180, ge=7)  # sent or failed deliveries; pending rows are never dropped
    audit_days: int = Field(default=730, ge=30)
    intake_misses_days: int = Field(default=90, ge=1)  # long enough to learn phrases from, short for people's words
    source: str = "the secretariat's operating choice; no retention rule in seed 000"


class Programme(Strict):
    desk: DeskHours
    retention: Retention = Field(default_factory=lambda: Retention())
    # The calendar (issue 6); optional so a content set without a calendar still loads.
    name: Text | None = None
    name_source: str | None = None
    courses: list[Course] = Field(default_factory=list)
    visits: VisitPlan | None = None
    reminders: Reminders = Field(default_factory=lambda: Reminders())
    events: EventCatalogue | None = None


# --- the programme calendar (content/programme.yaml: courses, visits, reminders, events; issue 6)

HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class Course(Strict):
    code: Literal["csirt", "it-bcp"]  # as stored with each company and named in broadcasts
    name: Text
    aim: Text
    source: str = Field(min_length=1)


class VisitMode(Strict):
    id: Literal["onsite", "online"]
    label: Text
    place: Text  # what `place` holds in this mode: an address, a meeting URL
    source: str = Field(min_length=1)


class PlannedVisit(Strict):
    number: int = Field(ge=1, le=20)
    title: Text
    covers: Text
    prepare: Text
    source: str = Field(min_length=1)


class CsvColumns(Strict):
    """Header names `helpdesk visit import` accepts for each column."""

    company: list[str] = Field(min_length=1)
    no: list[str] = Field(min_length=1)
    at: list[str] = Field(min_length=1)
    mode: list[str] = Field(min_length=1)
    place: list[str] = Field(min_length=1)
    expert: list[str] = Field(min_length=1)


class UsualHours(Strict):
    """When a visit is expected to start (Japan time); the CLI asks before booking outside them."""

    opens: str = Field(pattern=r"^\d{2}:\d{2}$")
    closes: str = Field(pattern=r"^\d{2}:\d{2}$")
    source: str = Field(min_length=1)


class VisitPlan(Strict):
    duration_minutes: int = Field(ge=15, le=24 * 60)
    usual_hours: UsualHours | None = None
    modes: list[VisitMode] = Field(min_length=1)
    plan: list[PlannedVisit] = Field(min_length=1)
    csv_columns: CsvColumns
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _numbered_from_one(self) -> VisitPlan:
        numbers = [visit.number for visit in self.plan]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"plan visits must be numbered 1, 2, 3 … in order (found {numbers})")
        refuse_duplicates("modes", [mode.id for mode in self.modes])
        return self

    def visit(self, number: int) -> PlannedVisit | None:
        return next((v for v in self.plan if v.number == number), None)

    def mode(self, mode_id: str) -> VisitMode | None:
        return next((m for m in self.modes if m.id == mode_id), None)


class Offset(Strict):
    """A reminder time relative to a start: a day before it and a time of day (Asia/Tokyo), or a
    number of minutes before it."""

    id: Id
    days_before: int | None = Field(default=None, ge=0, le=60)
    at: HHMM | None = None
    minutes_before: int | None = Field(default=None, ge=1, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _one_way(self) -> Offset:
        by_day = self.days_before is not None and self.at is not None
        by_minutes = self.minutes_before is not None
        if by_day == by_minutes or (self.days_before is None) != (self.at is None):
            raise ValueError("give either days_before and at, or minutes_before")
        return self


class HearingNudge(Strict):
    visit: int = Field(ge=1)
    days_before: int = Field(ge=0, le=60)
    at: HHMM


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order


class HearingWeekly(Strict):
    """Until the company's sheet is submitted, its lead is told weekly what is open: on `weekday` at
    `at`, but not within `quiet_days_before_visit` days of visit 1 (the hearing nudge's time)."""

    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    at: HHMM
    quiet_days_before_visit: int = Field(default=2, ge=0, le=14)
    source: str | None = None


class ActionsReminder(Strict):
    """Each owner of an improvement item not done is reminded of theirs `days_before` the company's
    next visit, at `at` (scheduler/action_reminders.py)."""

    days_before: int = Field(ge=0, le=14)
    at: HHMM
    source: str | None = None


class Reminders(Strict):
    visit: list[Offset] = Field(default_factory=list)
    hearing_nudge: HearingNudge | None = None
    hearing_weekly: HearingWeekly | None = None
    actions: ActionsReminder | None = None
    event: list[Offset] = Field(default_factory=list)
    source: str | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> Reminders:
        for name in ("visit", "event"):
            ids = [offset.id for offset in getattr(self, name)]
            refuse_duplicates(f"{name} reminder ids", ids)
            if "nudge" in ids:
                raise ValueError("'nudge' is the hearing nudge's id; choose another reminder id")
        return self


class EventKind(Strict):
    id: Id
    title: Text
    about: Text | None = None
    duration_minutes: int = Field(default=120, ge=15, le=24 * 60)
    source: str = Field(min_length=1)


class EventCatalogue(Strict):
    kinds: list[EventKind] = Field(min_length=1)
    source: str | None = None

    def kind(self, kind_id: str) -> EventKind | None:
        return next((k for k in self.kinds if k.id == kind_id), None)
