"""`helpdesk company purge` leaves nothing of the company: not its people and answers only, but
every message queued about it for people outside it (an incident's escalation to the expert and the
secretariat, a visit's reminders, a broadcast to it), its events and RSVPs; and it says what went."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.runtime.core import Runtime
from bot.store.models import Event, ExpertAssignment, Notice, OutboxRow, Rsvp
from scheduler.audience import Audience
from scheduler.events import EventSpec, add_event
from scheduler.notices import broadcast
from scheduler.visits import VisitSpec, add_visit
from tests.calendar_setup import company, jst, person
from tests.conftest import Convo
from tests.test_incident import short_path

INCIDENT_TEXT = "取引先から当社名の不審なメールが届いたと連絡があった"  # what short_path reports


async def test_purge_removes_queued_messages_events_and_rsvps_and_counts_them(runtime: Runtime, run_cli) -> None:  # type: ignore[no-untyped-def]
    a = await company(runtime, "A社", "csirt", lead="a_lead", members=("a_member",))
    await company(runtime, "B社", "it-bcp", lead="b_lead")
    await person(runtime, "jimu", role="secretariat")
    expert = await person(runtime, "expert_x", role="expert")
    async with runtime.sessions.begin() as session:
        session.add(ExpertAssignment(person_id=expert.id, company_id=a.id))

    await short_path(Convo(runtime, "a_member"))  # escalated to A's lead, the expert and the secretariat
    async with runtime.sessions.begin() as session:
        await add_visit(session, runtime.content, runtime.tz,
                        VisitSpec("A社", 1, jst("2026-12-03 14:00"), "onsite", "丸の内", "expert_x"), now=runtime.clock())
        only_a, _ = await add_event(session, runtime.content, runtime.tz, EventSpec(
            kind="seminar", at=jst("2026-12-10 15:00"), place="会場", audience=Audience("company", "A社")), now=runtime.clock())
        everyone, _ = await add_event(session, runtime.content, runtime.tz, EventSpec(
            kind="networking", at=jst("2026-12-11 15:00"), place="会場"), now=runtime.clock())
        await broadcast(session, runtime.content, Audience("company", "A社"), "A社の皆様へ", now=runtime.clock())
        await broadcast(session, runtime.content, Audience("company", "B社"), "B社の皆様へ", now=runtime.clock())
    for user, event in (("a_lead", only_a), ("a_lead", everyone), ("b_lead", everyone)):
        await Convo(runtime, user).send("", choice="yes", reply_to=f"event:{event.id}")

    async def undelivered_to_outsiders() -> list[str]:
        async with runtime.sessions() as session:
            rows = await session.scalars(select(OutboxRow).where(OutboxRow.status == "pending"))
            return [row.chat_id for row in rows if INCIDENT_TEXT in json.dumps(row.payload, ensure_ascii=False)]

    assert {"expert_x", "jimu"} <= set(await undelivered_to_outsiders())  # the escalation waits in the outbox

    done = run_cli("company", "purge", "A社", "--confirm", "A社", "--as", "jimu")
    assert done.returncode == 0, done.stderr
    said = dict(
        (what, int(count)) for count, what in (part.split(" ", 1) for part in done.stdout.strip().split(": ", 1)[1].split(", "))
    )
    assert said["people"] == 2 and said["incidents"] == 1 and said["visits"] == 1 and said["events"] == 1
    assert said["rsvps"] == 2 and said["expert_assignments"] == 1
    assert said["undelivered_messages"] >= 4 and said["notices"] >= 3  # escalation, visit, event, broadcast

    assert await undelivered_to_outsiders() == []  # the incident's text is never delivered now
    async with runtime.sessions() as session:
        rows = list(await session.scalars(select(OutboxRow)))
        texts = [json.dumps(row.payload, ensure_ascii=False) for row in rows]
        assert not any("A社" in text or INCIDENT_TEXT in text for text in texts), texts
        assert {row.chat_id for row in rows} >= {"b_lead"}  # B社's broadcast and invitations stay
        audiences = [n.audience for n in await session.scalars(select(Notice))]
        assert "company:A社" not in audiences and "company:B社" in audiences
        events = {e.id for e in await session.scalars(select(Event))}
        assert events == {everyone.id}
        rsvps = [(r.event_id, r.person_id) for r in await session.scalars(select(Rsvp))]
    assert len(rsvps) == 1  # B社's lead still comes to the event for everyone
