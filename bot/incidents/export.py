"""`helpdesk export incident INC-…`: the report with its timeline, in a layout close to the
JPCERT/CC incident report (reporter, overview, impact, actions, contacts, timeline), as Markdown or JSON."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.engine.render import Speaker, format_value
from bot.incidents import service
from bot.incidents.render import jst, level_label, questions, status_label
from bot.reports.markdown import md_text
from bot.store import repo
from bot.store.models import Person, utcnow

TOKYO = ZoneInfo("Asia/Tokyo")

async def incident_document(session: AsyncSession, content: Content, number: str, lang: str) -> dict[str, Any] | None:
    incident = await service.by_number(session, number)
    if incident is None:
        return None
    sp = Speaker(lang, content.book, content.words, utcnow().astimezone(TOKYO).date())
    answers = await repo.load_answers(session, incident.conversation_id)
    company = await repo.company_by_id(session, incident.company_id)
    reporter = await session.get(Person, incident.reporter_id) if incident.reporter_id else None
    events = await service.events_of(session, incident.id)
    done = service.steps_done(events)
    qs = questions(content)
    config = content.response.incident
    assert config is not None
    sections = []
    for section in config.report_sections:
        fields = []
        for question_id in section.questions:
            question = qs[question_id]
            answer = answers.get(question_id)
            fields.append({
                "id": question_id,
                "label": (question.label or question.text).get(lang),
                "value": None if answer is None or answer.skipped else answer.value,
                "text": format_value(question, answer, sp),
            })
        sections.append({"id": section.id, "title": section.title.get(lang), "fields": fields})
    playbook = content.response.playbooks.get(incident.playbook_id or "")
    steps = {s.id: s.text.get(lang) for s in (playbook.steps if playbook else [])}
    contacts = {c.id: c for c in (content.contacts.contacts if content.contacts else [])}
    ids = {e.person_id for e in events if e.person_id is not None}
    people = {p.id: p for p in await session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    return {
        "number": incident.number,
        "title": sp.say("export.title", number=incident.number),
        "reporter": {
            "company": company.name if company else None,
            "name": (reporter.display_name or reporter.platform_user_id) if reporter else None,
            "platform": reporter.platform if reporter else None,
            # JPCERT/CC report form's 報告者氏名, 部署, 電話, メール, as the reporter left them (/profile)
            **{field: getattr(reporter, field) if reporter else None for field in ("full_name", "department", "phone", "email")},
        },
        "reported_at": jst(incident.created_at, TOKYO),
        "out_of_hours": incident.out_of_hours,
        "severity": {"id": incident.severity, "label": level_label(content, incident.severity, sp)},
        "status": {"id": incident.status, "label": status_label(content, incident.status, sp)},
        "sections": sections,
        "checklist": [
            {"step": s.id, "text": s.text.get(lang), "done": s.id in done} for s in (playbook.steps if playbook else [])
        ],
        "contacts": [
            {"id": cid, "name": contacts[cid].name.get(lang), "source": contacts[cid].source,
             "channels": [{"kind": ch.kind, "value": ch.value} for ch in contacts[cid].channels]}
            for cid in incident.contacts if cid in contacts
        ],
        "timeline": [
            {"at": jst(e.at, TOKYO), "kind": e.kind, "label": sp.say(f"incident.event_{e.kind}"),
             "by": _name(people.get(e.person_id or -1)), "text": e.text, "data": e.data,
             "detail": _detail(e.kind, e.data or {}, content, sp, steps)}
            for e in events
        ],
        "labels": {
            key: sp.say(f"export.{key}")
            for key in ("reporter", "company", "name", "full_name", "department", "phone", "email",
                        "reported_at", "severity", "status", "checklist",
                        "contacts", "timeline", "out_of_hours", "col_at", "col_event", "col_detail")
        },
    }


def _detail(kind: str, data: dict[str, Any], content: Content, sp: Speaker, steps: dict[str, str]) -> str:
    """A readable line for a timeline event's data (the raw data stays in the JSON export)."""
    if kind == "step":
        return f"{'✓' if data.get('done') else '✗'} {steps.get(str(data.get('step')), data.get('step'))}"
    if kind == "severity":
        return f"{level_label(content, str(data.get('from')), sp)} → {level_label(content, str(data.get('to')), sp)}"
    if kind == "status":
        return f"{status_label(content, str(data.get('from')), sp)} → {status_label(content, str(data.get('to')), sp)}"
    if kind == "attachment":
        return str(data.get("name"))
    if kind == "filed":
        return level_label(content, str(data.get("severity")), sp)
    return ""


def _name(person: Person | None) -> str | None:
    return (person.display_name or person.platform_user_id) if person else None


def to_markdown(doc: dict[str, Any]) -> str:
    labels = doc["labels"]

    out = [f"# {doc['title']}", "", f"## 1. {labels['reporter']}", ""]
    out += [
        f"- **{labels['company']}**: {md_text(doc['reporter']['company'])}",
        f"- **{labels['name']}**: {md_text(doc['reporter']['name'])} ({md_text(doc['reporter']['platform'])})",
        *(f"- **{labels[field]}**: {md_text(doc['reporter'][field] or '-')}" for field in ("full_name", "department", "phone", "email")),
        f"- **{labels['reported_at']}**: {doc['reported_at']} JST" + (f" ({labels['out_of_hours']})" if doc["out_of_hours"] else ""),
        f"- **{labels['severity']}**: {doc['severity']['label']}",
        f"- **{labels['status']}**: {doc['status']['label']}",
    ]
    for number, section in enumerate(doc["sections"], 2):
        out += ["", f"## {number}. {section['title']}", ""]
        out += [f"- **{md_text(f['label'])}**: {md_text(f['text'])}" for f in section["fields"]]
    next_number = len(doc["sections"]) + 2
    if doc["checklist"]:
        out += ["", f"## {next_number}. {labels['checklist']}", ""]
        out += [f"- [{'x' if s['done'] else ' '}] {md_text(s['text'])}" for s in doc["checklist"]]
        next_number += 1
    out += ["", f"## {next_number}. {labels['contacts']}", ""]
    for contact in doc["contacts"]:
        channels = ", ".join(ch["value"] for ch in contact["channels"])
        out.append(f"- {md_text(contact['name'])}" + (f": {md_text(channels)}" if channels else ""))
    out += ["", f"## {next_number + 1}. {labels['timeline']}", ""]
    out += [f"| {labels['col_at']} | {labels['col_event']} | {labels['col_detail']} |", "|---|---|---|"]
    for event in doc["timeline"]:
        detail = event["text"] or event["detail"]
        by = f" ({event['by']})" if event["by"] else ""
        out.append(f"| {event['at']} | {md_text(event['label'])}{md_text(by)} | {md_text(detail)} |")
    return "\n".join(out) + "\n"
