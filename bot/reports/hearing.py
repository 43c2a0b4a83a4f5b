"""ヒアリングシート結果報告書: the briefing the expert reads before visit 1.

First a summary page (the company's profile, who answered, completion, the findings of the rules in
content/hearing/findings.yaml, what to clarify at visit 1, the per-process impact table sorted by
impact), then the answers by section, then the sources. Built from `SheetAnswers` only
(bot/reports/sheet.py), so it does not care whose conversation the answers came from. Markdown and
chat here; the XLSX workbook in bot/reports/workbook.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.content.models import Condition, Finding, Group, Question
from bot.engine.flow import MORE, Answer, Step, condition_holds
from bot.engine.parse import SCALE_ORDER
from bot.engine.render import Speaker, format_value
from bot.reports.markdown import md_text
from bot.reports.sheet import SheetAnswers, answer_is_unknown, sheet_answers
from bot.store.models import Company, utcnow

TOKYO = ZoneInfo("Asia/Tokyo")
TO_CLARIFY = ("unknown", "skipped", "unanswered")  # the states the expert asks about at visit 1
LABELS = (
    "title", "summary", "profile", "respondents", "completion", "findings", "no_findings", "clarify",
    "no_clarify", "answers", "sources", "no", "section", "question", "answer", "state", "answered_by",
    "source", "used_by", "sheet_summary", "sheet_clarify", "sheet_answers", "sheet_sources",
    *(f"state_{state}" for state in ("answered", "unknown", "skipped", "unanswered")),
)

Cell = str | float | None  # a table cell: text, or a number shown in its column's number format


@dataclass
class Row:
    number: int
    key: str
    section: str
    question: str
    answer: str  # as people read it
    state: str  # answered | unknown | skipped | unanswered
    answered_by: str = ""
    value: float | None = None  # a number or duration answer as a number, for the XLSX cell
    number_format: str | None = None  # the XLSX format of `value` ('#,##0"人"', '0.0"時間"')


@dataclass
class Fact:
    """A line of the profile: a label and a value, a number answer also as a number."""

    label: str
    text: str
    value: float | None = None
    number_format: str | None = None


@dataclass
class Column:
    title: str
    number_format: str | None = None  # its cells are numbers (or empty) in this format


@dataclass
class Table:
    title: str
    sheet: str  # the XLSX sheet: the group's label (content check keeps it a valid sheet name)
    columns: list[Column]
    rows: list[list[Cell]]


@dataclass
class FindingLine:
    id: str
    text: str
    source: int  # its number in HearingReport.sources


@dataclass
class Source:
    number: int
    text: str
    used_by: str  # "所見 1, 2" / "No 3, 4": what cites it


@dataclass
class HearingReport:
    labels: dict[str, str]
    profile: list[Fact]
    respondents: list[tuple[str, int]]  # who answered, and how many answers each
    completion: list[tuple[str, str | int]]
    findings: list[FindingLine] = field(default_factory=list)
    clarify: list[Row] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    sections: list[tuple[str, list[Row]]] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    several_respondents: bool = False  # show who answered each row

    @property
    def to_ask(self) -> list[Row]:
        """The questions answered 分からない: what the expert asks at visit 1."""
        return [row for _, rows in self.sections for row in rows if row.state == "unknown"]


def _jst(moment: datetime | None) -> str:
    return moment.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") if moment else ""


async def company_report(session: AsyncSession, content: Content, company: Company, lang: str) -> HearingReport | None:
    """The company's briefing from its shared sheet; None when its course has no hearing flow."""
    flow = content.hearing_flow(company.course)
    if flow is None:
        return None
    return build_report(content, company, lang, await sheet_answers(session, company, flow))


def state_of(answer: Answer | None) -> str:
    if answer is None:
        return "unanswered"
    if answer.skipped:
        return "skipped"
    return "unknown" if answer_is_unknown(answer) else "answered"


def current_answers(sheet: SheetAnswers) -> tuple[list[Step], dict[str, Answer]]:
    """The questions the sheet's plan asks now, and the answers to them. Only answers the plan still
    asks count: an answer left behind by going back and changing an earlier one is not the
    company's answer any more."""
    plan = [s for s in sheet.flow.plan(sheet.answers) if s.answerable and s.question.id != MORE]
    return plan, {s.key: sheet.answers[s.key] for s in plan if s.key in sheet.answers}


def fired_findings(content: Content, answers: dict[str, Answer]) -> list[Finding]:
    """The finding rules of content/hearing/findings.yaml that hold on the answers, in their order:
    the briefing lists them, and the improvement items (bot/drafts/improvements.py) are made from them."""
    return [rule for rule in content.findings.findings if _fires(rule.when, answers)]


def build_report(content: Content, company: Company, lang: str, sheet: SheetAnswers) -> HearingReport:
    sp = Speaker(lang, content.book, content.words, utcnow().astimezone(TOKYO).date())
    say = sp.say
    flow = sheet.flow
    plan, answers = current_answers(sheet)
    by = {key: sheet.answered_by.get(key, "") for key in answers}
    respondents = Counter(name for name in by.values() if name).most_common()
    counts = Counter(state_of(answers.get(s.key)) for s in plan)
    report = HearingReport(
        labels={k: say(f"report.{k}") for k in LABELS},
        profile=[
            Fact(say("report.company"), company.name),
            Fact(say("report.course"), say(f"course.{company.course}")),
            Fact(say("report.flow"), flow.title.get(lang)),
            *_profile(content, plan, answers, sp),
        ],
        respondents=respondents,
        completion=[
            (say("report.status"), say(f"report.status_{sheet.status}")),
            *((say(f"report.count_{state}"), counts[state]) for state in ("answered", *TO_CLARIFY)),
            (say("report.count_total"), len(plan)),
            (say("report.started"), _jst(sheet.started_at) or "-"),
            (say("report.updated"), _jst(sheet.updated_at) or "-"),
            (say("report.submitted"), _jst(sheet.submitted_at) or "-"),
            (say("report.generated"), _jst(utcnow())),
        ],
        several_respondents=len(respondents) > 1,
    )
    sources = _SourceIndex(say)
    for number, rule in enumerate(fired_findings(content, answers)):
        report.findings.append(FindingLine(rule.id, rule.text.get(lang), sources.cite(rule.source, finding=number + 1)))
    for index, section in enumerate(flow.sections):
        rows = []
        for number, step in enumerate(plan, 1):
            if step.section_index != index:
                continue
            row = _row(number, step, section.title.get(lang), answers.get(step.key), by.get(step.key, ""), sp)
            if step.key in sheet.changed_since_submission:
                # The expert read what was submitted: say which answers differ from it.
                row.answer = f"{row.answer} {sp.say('report.changed_after_submission')}"
            rows.append(row)
            sources.cite(step.question.source or section.source or "", question=number)
        if rows:
            report.sections.append((section.title.get(lang), rows))
        for item in section.items:
            if isinstance(item, Group):
                table = _group_table(item, plan, answers, sp)
                if table.rows:
                    report.tables.append(table)
    report.clarify = [row for _, rows in report.sections for row in rows if row.state in TO_CLARIFY]
    report.sources = sources.listed()
    return report


def _profile(content: Content, plan: list[Step], answers: dict[str, Answer], sp: Speaker) -> list[Fact]:
    """The profile questions of findings.yaml that this company's plan asks, with their answers."""
    asked = {s.key: s.question for s in plan if s.group is None}
    return [
        Fact((asked[q].label or asked[q].text).get(sp.lang), format_value(asked[q], answers.get(q), sp),
             *_number(asked[q], answers.get(q), sp))
        for q in content.findings.profile if q in asked
    ]


def _fires(when: Condition | list[Condition], answers: dict[str, Answer]) -> bool:
    conditions = when if isinstance(when, list) else [when]
    return all(condition_holds(c, answers.get(c.question)) for c in conditions)


def _row(number: int, step: Step, section: str, answer: Answer | None, by: str, sp: Speaker) -> Row:
    question = step.question.text.get(sp.lang)
    if step.group is not None:
        question = f"[{_group_name(step.group, sp.lang)} #{step.entry}] {question}"
    value, number_format = _number(step.question, answer, sp)
    return Row(number, step.key, section, question, format_value(step.question, answer, sp), state_of(answer),
               by if answer is not None else "", value, number_format)


def _number(question: Question, answer: Answer | None, sp: Speaker) -> tuple[float | None, str | None]:
    """A number or duration answer as a number and its XLSX format; (None, None) for the rest."""
    if answer is None or answer.skipped or not isinstance(answer.value, (int, float)) or isinstance(answer.value, bool):
        return None, None
    if question.type == "duration":
        return hours(answer.value), sp.say("report.hours_format")
    if question.type == "number":
        return float(answer.value), number_format(question, sp)
    return None, None


def hours(minutes: float) -> float:
    """Durations are stored in minutes (bot/engine/parse.py parse_duration); RTO/RPO read in hours."""
    return round(minutes / 60, 2)


def number_format(question: Question, sp: Speaker) -> str:
    """'#,##0"人"': the unit written the way the language writes a number with it (unit.number)."""
    unit = (question.unit.get(sp.lang) if question.unit else "").replace('"', "")
    digits = "#,##0" if question.integer else "#,##0.0#"
    return sp.say("unit.number", n=digits, unit=f'"{unit}"' if unit else "").strip()


def _group_table(group: Group, plan: list[Step], answers: dict[str, Answer], sp: Speaker) -> Table:
    """One row per entry of a repeating group (the per-process impact/RTO/RPO table): durations in
    hours and numbers as numbers, sorted by its first scale question (impact), highest first."""
    questions = [q for q in group.items if q.answerable]
    columns = []
    for question in questions:
        label = (question.label or question.text).get(sp.lang)
        if question.type == "duration":
            columns.append(Column(sp.say("report.hours_column", label=label), sp.say("report.hours_format")))
        elif question.type == "number":
            columns.append(Column(label, number_format(question, sp)))
        else:
            columns.append(Column(label))
    in_plan = {s.key for s in plan if s.group is group}
    entries = sorted({s.entry for s in plan if s.group is group and s.entry is not None})
    scale = next((q for q in questions if q.type == "scale"), None)
    rows: list[tuple[int, list[Cell]]] = []
    for entry in entries:
        row: list[Cell] = []
        for question in questions:
            key = f"{group.id}[{entry}].{question.id}"
            answer = answers.get(key)
            if question.type in ("duration", "number"):
                row.append(_number(question, answer, sp)[0])
            else:
                row.append(format_value(question, answer, sp) if key in in_plan else "-")
        rank = len(SCALE_ORDER)
        if scale is not None:
            given = answers.get(f"{group.id}[{entry}].{scale.id}")
            if given is not None and given.value in SCALE_ORDER:
                rank = SCALE_ORDER.index(given.value)
        rows.append((rank, row))
    rows.sort(key=lambda ranked: ranked[0])  # stable: entries of one impact keep the order given
    name = _group_name(group, sp.lang)
    return Table(sp.say("report.table", title=name), name, columns, [row for _, row in rows])


def _group_name(group: Group, lang: str) -> str:
    return (group.label or group.text).get(lang)


class _SourceIndex:
    """Sources numbered in the order the report first cites them; each remembers what cites it."""

    def __init__(self, say: Callable[..., str]) -> None:
        self.say = say
        self.numbers: dict[str, int] = {}
        self.findings: dict[str, list[int]] = {}
        self.questions: dict[str, list[int]] = {}

    def cite(self, text: str, *, finding: int | None = None, question: int | None = None) -> int:
        if not text:
            return 0
        number = self.numbers.setdefault(text, len(self.numbers) + 1)
        if finding is not None:
            self.findings.setdefault(text, []).append(finding)
        if question is not None:
            self.questions.setdefault(text, []).append(question)
        return number

    def listed(self) -> list[Source]:
        say = self.say
        out = []
        for text, number in self.numbers.items():
            used = []
            if text in self.findings:
                used.append(say("report.used_findings", numbers=_numbers(self.findings[text])))
            if text in self.questions:
                used.append(say("report.used_questions", numbers=_numbers(self.questions[text])))
            out.append(Source(number, text, say("unit.list_join").join(used)))
        return out


def _numbers(numbers: list[int]) -> str:
    """1, 2, 3, 5 -> "1-3, 5": a section's questions are one range."""
    ranges: list[list[int]] = []
    for n in numbers:
        if ranges and n == ranges[-1][-1] + 1:
            ranges[-1].append(n)
        else:
            ranges.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in ranges)


def cell_text(value: Cell) -> str:
    """A table cell as text: numbers without a needless ".0"; an empty number cell as "-"."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return value


# --- Markdown


def to_markdown(report: HearingReport) -> str:
    labels = report.labels
    out = [f"# {labels['title']}", "", f"## {labels['summary']}", "", f"### {labels['profile']}", ""]
    out += [f"- **{md_text(f.label)}**: {md_text(f.text)}" for f in report.profile]
    out += ["", f"### {labels['respondents']}", ""]
    out += [f"- {md_text(name)}: {count}" for name, count in report.respondents] or ["- -"]
    out += ["", f"### {labels['completion']}", ""]
    out += [f"- **{md_text(k)}**: {md_text(v)}" for k, v in report.completion]
    out += ["", f"### {labels['findings']}", ""]
    out += [f"{n}. {md_text(f.text)} [{f.source}]" for n, f in enumerate(report.findings, 1)] or [labels["no_findings"]]
    out += ["", f"### {labels['clarify']}", ""]
    if report.clarify:
        out += [f"| {labels['no']} | {labels['section']} | {labels['question']} | {labels['state']} |", "|---:|---|---|---|"]
        out += [
            f"| {r.number} | {md_text(r.section)} | {md_text(r.question)} | **{labels['state_' + r.state]}** |"
            for r in report.clarify
        ]
    else:
        out.append(labels["no_clarify"])
    for table in report.tables:
        out += ["", f"### {md_text(table.title)}", ""]
        out.append("| " + " | ".join(md_text(c.title) for c in table.columns) + " |")
        out.append("|" + "".join("---:|" if c.number_format else "---|" for c in table.columns))
        out += ["| " + " | ".join(md_text(cell_text(c)) for c in row) + " |" for row in table.rows]
    out += ["", f"## {labels['answers']}"]
    for title, rows in report.sections:
        head = [labels["no"], labels["question"], labels["answer"]]
        if report.several_respondents:
            head.append(labels["answered_by"])
        out += ["", f"### {md_text(title)}", "", "| " + " | ".join(head) + " |", "|---:|" + "---|" * (len(head) - 1)]
        for row in rows:
            answer = md_text(row.answer)
            if row.state in TO_CLARIFY:
                answer = f"**{answer}**"  # what the expert must ask at the visit
            cells = [str(row.number), md_text(row.question), answer]
            if report.several_respondents:
                cells.append(md_text(row.answered_by))
            out.append("| " + " | ".join(cells) + " |")
    out += ["", f"## {labels['sources']}", ""]
    out += [f"{s.number}. {md_text(s.text)} ({md_text(s.used_by)})" for s in report.sources]
    return "\n".join(out) + "\n"


# --- chat


def to_chat(report: HearingReport) -> list[str]:
    """The briefing as chat messages that fit a phone screen: the summary (profile, completion,
    findings, what to clarify by number), then one message per section."""
    labels = report.labels
    summary = [f"■ {labels['title']}", *(f"{f.label}: {f.text}" for f in report.profile)]
    summary += ["", *(f"{k}: {v}" for k, v in report.completion if v != "")]
    messages = ["\n".join(summary)]
    findings = [f"{n}. {f.text}" for n, f in enumerate(report.findings, 1)] or [labels["no_findings"]]
    messages.append("\n".join([f"■ {labels['findings']}", *findings]))
    if report.clarify:
        lines = [f"■ {labels['clarify']}"]
        for state in TO_CLARIFY:
            numbers = [r.number for r in report.clarify if r.state == state]
            if numbers:
                lines.append(f"{labels['state_' + state]}: {labels['no']} {_numbers(numbers)}")
        messages.append("\n".join(lines))
    for title, rows in report.sections:
        lines = [f"■ {title}"]
        for row in rows:
            mark = "❗" if row.state in TO_CLARIFY else ""
            lines.append(f"{row.number}. {row.question}\n　→ {mark}{row.answer}")
        messages.append("\n".join(lines))
    return messages
