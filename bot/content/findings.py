"""Loading and cross-checking content/hearing/findings.yaml: every question a finding rule or the
profile names must be a question of a hearing flow, and every value it tests an answer that question
can have, so a typo is an error of `helpdesk content check`, never a finding that silently never fires."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from bot.content.models import Condition, FindingsFile, Question
from bot.engine.flow import CompiledFlow

if TYPE_CHECKING:
    from bot.content.loader import _Collector


def hearing_questions(flows: Iterable[CompiledFlow]) -> dict[str, Question]:
    """The questions a rule may name: those asked once per hearing (not inside a repeating group,
    whose answers are per entry), across every flow; a rule on a question of one course only simply
    never fires for the other."""
    found: dict[str, Question] = {}
    for flow in flows:
        for section in flow.sections:
            for item in section.items:
                if isinstance(item, Question) and item.answerable:
                    found.setdefault(item.id, item)
    return found


def load_findings(c: _Collector, path: Path, flows: Iterable[CompiledFlow] | None) -> FindingsFile | None:
    """`flows` None: a hearing flow is broken and reported on its own, so the questions it would
    have are not known and the references are not checked (or each would be reported twice)."""
    from bot.content.loader import _value_problem

    findings = c.model(path, FindingsFile)
    if findings is None or flows is None:
        return findings
    questions = hearing_questions(flows)
    ok = True
    for index, question_id in enumerate(findings.profile):
        if question_id not in questions:
            c.add(path, f"profile[{index}]", f"{question_id!r} is not a question of a hearing flow")
            ok = False
    for finding in findings.findings:
        conditions: list[Condition] = finding.when if isinstance(finding.when, list) else [finding.when]
        for condition in conditions:
            target = questions.get(condition.question)
            where = f"findings[{finding.id}].when"
            if target is None:
                c.add(path, where + ".question", f"{condition.question!r} is not a question of a hearing flow")
                ok = False
                continue
            problem = _value_problem(target, condition)
            if problem:
                c.add(path, where, problem)
                ok = False
    return findings if ok else None
