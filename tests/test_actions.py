"""Improvement items (改善アクション, issue 19.4): made from the briefing's findings once each, listed
and changed with /actions by whom bot/policy allows, counted in the secretariat's overview, and
their owners reminded before the next visit (content/programme.yaml reminders.actions)."""

from __future__ import annotations

from sqlalchemy import select

from bot.drafts.improvements import sync
from bot.engine.step import Recorded
from bot.reports.hearing import company_report
from bot.reports.overview import company_rows
from bot.runtime.core import Runtime
from bot.store import repo, sheets
from bot.store.models import AuditEntry, ExpertAssignment, ImprovementItem, Visit
from scheduler.action_reminders import remind_owners
from tests.calendar_setup import company, jst, outbox, person
from tests.conftest import Convo

# Answers that the rules of content/hearing/findings.yaml read as no_backup, no_mfa, everyone_admin.
GAPS = {"backup": ("いいえ", False), "mfa": ("使っていない", "none"), "admin_rights": ("ほぼ全員", "all")}


async def answered(runtime: Runtime, name: str, lead: str) -> int:
    found = await company(runtime, name, "csirt", lead=lead, members=(f"{lead}_member",))
    flow = runtime.content.hearing_flow("csirt")
    assert flow is not None
    async with runtime.sessions.begin() as session:
        sheet = await sheets.sheet_for(session, found.id, flow.id, runtime.clock())
        await sheets.record(session, sheet, [Recorded(k, raw, v) for k, (raw, v) in GAPS.items()], None, runtime.clock())
    return found.id


async def run_sync(runtime: Runtime, name: str) -> int:
    async with runtime.sessions.begin() as session:
        found = await repo.company_by_name(session, name)
        assert found is not None
        return len((await sync(session, runtime.content, found, runtime.clock())).added)


async def items(runtime: Runtime, company_id: int) -> list[ImprovementItem]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(ImprovementItem).where(ImprovementItem.company_id == company_id).order_by(ImprovementItem.id)))


async def test_sync_makes_one_item_per_finding_and_adds_nothing_twice(runtime: Runtime) -> None:
    company_id = await answered(runtime, "改善株式会社", "sato")
    async with runtime.sessions() as session:
        found = await repo.company_by_id(session, company_id)
        assert found is not None
        report = await company_report(session, runtime.content, found, "ja")
    assert report is not None
    briefing = {f.id: f.text for f in report.findings}
    assert set(briefing) == {"no_backup", "no_mfa", "everyone_admin"}

    assert await run_sync(runtime, "改善株式会社") == 3
    made = await items(runtime, company_id)
    assert {i.source: i.title_ja for i in made} == {f"finding:{k}": v for k, v in briefing.items()}
    assert all(i.status == "open" and i.owner_id is None and i.due_on is None and i.title_en for i in made)
    assert await run_sync(runtime, "改善株式会社") == 0
    assert len(await items(runtime, company_id)) == 3


async def test_members_read_the_lead_changes_and_other_companies_see_nothing(runtime: Runtime) -> None:
    company_id = await answered(runtime, "改善株式会社", "sato")
    await answered(runtime, "別株式会社", "kato")
    await run_sync(runtime, "改善株式会社")
    await run_sync(runtime, "別株式会社")
    first = (await items(runtime, company_id))[0]

    member = Convo(runtime, "sato_member")
    listing = await member.send("/actions")
    assert listing[0].kind != "error" and f"#{first.id} [未着手]" in listing[0].text
    assert "未完了3件" in listing[0].text
    refused = await member.send(f"/actions done {first.id}")
    assert refused[0].text == runtime.content.book.say("actions.change_refused", "ja")

    lead = Convo(runtime, "sato")
    owner = await lead.send(f"/actions owner {first.id} sato_member")
    assert "担当：sato_member" in owner[0].text, owner[0].text
    due = await lead.send(f"/actions due {first.id} ２０２６/１２/２０")  # full-width digits
    assert "期限：2026-12-20" in due[0].text, due[0].text
    await lead.send(f"/actions doing {first.id}")
    unknown = await lead.send(f"/actions owner {first.id} 誰か")
    assert unknown[0].kind == "error" and "sato_member" in unknown[0].text
    bad_date = await lead.send(f"/actions due {first.id} いつか")
    assert bad_date[0].kind == "error"
    changed = (await items(runtime, company_id))[0]
    assert (changed.status, changed.due_on and changed.due_on.isoformat()) == ("doing", "2026-12-20")
    assert changed.owner_id is not None

    other = Convo(runtime, "kato")
    missing = await other.send("/actions done 99999")
    foreign = await other.send(f"/actions done {first.id}")
    named = await other.send("/actions 改善株式会社")
    nowhere = await other.send("/actions 存在しない会社")
    assert missing[0].text == foreign[0].text == runtime.content.book.say("actions.not_available", "ja")
    assert named[0].text == nowhere[0].text == missing[0].text
    assert (await items(runtime, company_id))[0].status == "doing"

    async with runtime.sessions() as session:
        entries = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "change_actions").order_by(AuditEntry.id)))
    assert [(e.allowed, (e.detail or {}).get("change")) for e in entries] == [
        (False, None), (True, "owner"), (True, "due"), (True, "doing"), (False, None), (False, None),
    ]


async def test_an_assigned_expert_changes_an_unassigned_one_does_not(runtime: Runtime) -> None:
    company_id = await answered(runtime, "改善株式会社", "sato")
    await run_sync(runtime, "改善株式会社")
    first = (await items(runtime, company_id))[0]
    expert = await person(runtime, "senmon", role="expert")
    await person(runtime, "yoso", role="expert")
    async with runtime.sessions.begin() as session:
        session.add(ExpertAssignment(person_id=expert.id, company_id=company_id, created_at=runtime.clock()))
    assert "#" in (await Convo(runtime, "senmon").send("/actions 改善株式会社"))[0].text
    await Convo(runtime, "senmon").send(f"/actions done {first.id}")
    refused = await Convo(runtime, "yoso").send(f"/actions done {first.id}")
    assert refused[0].text == runtime.content.book.say("actions.not_available", "ja")
    assert (await items(runtime, company_id))[0].status == "done"


async def test_the_overview_counts_the_items_not_done(runtime: Runtime) -> None:
    company_id = await answered(runtime, "改善株式会社", "sato")
    await company(runtime, "空株式会社", "csirt")
    await run_sync(runtime, "改善株式会社")
    await Convo(runtime, "sato").send(f"/actions done {(await items(runtime, company_id))[0].id}")
    async with runtime.sessions() as session:
        rows = await company_rows(session, runtime.content, "ja", runtime.clock())
    assert {r.company: r.open_actions for r in rows} == {"改善株式会社": 2, "空株式会社": 0}
    assert {r.company: r.as_params()["actions"] for r in rows} == {"改善株式会社": 2, "空株式会社": 0}


async def test_cli_sync_twice_adds_nothing_the_second_time(runtime: Runtime, run_cli) -> None:  # type: ignore[no-untyped-def]
    company_id = await answered(runtime, "A社", "sato")
    first = run_cli("actions", "sync", "--company", "A社")
    assert first.returncode == 0 and "3件追加" in first.stdout, first.stderr
    again = run_cli("actions", "sync", "--company", "A社")
    assert again.returncode == 0 and "0件追加" in again.stdout and "全3件" in again.stdout, again.stdout
    assert len(await items(runtime, company_id)) == 3
    listed = run_cli("actions", "list", "--company", "A社")
    assert listed.returncode == 0 and sorted(line.split("\t")[4] for line in listed.stdout.splitlines()) == [
        "finding:everyone_admin", "finding:no_backup", "finding:no_mfa",
    ]
    unknown = run_cli("actions", "sync", "--company", "ない社")
    assert unknown.returncode != 0 and "ない社" in unknown.stderr


async def test_owners_hear_of_their_open_items_before_the_next_visit(runtime: Runtime) -> None:
    company_id = await answered(runtime, "改善株式会社", "sato")
    await run_sync(runtime, "改善株式会社")
    one, two, three = (item.id for item in await items(runtime, company_id))
    lead = Convo(runtime, "sato")
    for item in (one, two, three):
        await lead.send(f"/actions owner {item} sato_member")
    await lead.send(f"/actions done {two}")
    programme = runtime.content.response.programme
    assert programme is not None and programme.reminders.actions is not None
    config = programme.reminders.actions
    now = runtime.clock()
    async with runtime.sessions.begin() as session:
        visit = Visit(company_id=company_id, number=2, starts_at=jst("2026-12-20 14:00"), duration_minutes=120,
                      mode="onsite", status="scheduled", revision=1, scheduled_at=now, created_at=now, updated_at=now)
        session.add(visit)
    day = 20 - config.days_before

    async def remind(at: str) -> int:
        return await remind_owners(runtime.sessions, runtime.content, runtime.tz, jst(f"2026-12-{day:02d} {at}"))

    early = f"{int(config.at[:2]) - 1:02d}:59"
    assert await remind(early) == 0  # not yet its time
    assert await remind(config.at) == 1
    assert await remind(config.at) == 0  # once per visit and owner
    (sent,) = await outbox(runtime, "visit:")
    assert sent.chat_id == "sato_member"
    assert f"#{one}, #{three}" in sent.message.text and f"#{two}" not in sent.message.text  # done: not told
    async with runtime.sessions.begin() as session:
        moved = await session.get(Visit, visit.id)
        assert moved is not None
        moved.revision = 2
    assert await remind(config.at) == 1  # the moved visit's own reminder
    assert await remind_owners(runtime.sessions, runtime.content, runtime.tz, jst("2026-12-20 14:00")) == 0  # begun
