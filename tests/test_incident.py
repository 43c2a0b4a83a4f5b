"""Incident reports: the 4-answer short path, severity rules, desk hours, escalation, follow-up,
attachments, drafts, duplicates and the exported report."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.content.loader import Content
from bot.engine.flow import Answer
from bot.engine.messages import Attachment
from bot.runtime.core import Runtime
from bot.incidents.severity import severity_of
from bot.store.models import Chat, Incident, IncidentEvent, Notice, OutboxRow, Person
from tests.conftest import Clock, Convo, add_company

OPEN_TUESDAY = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)  # 10:00 JST
HOLIDAY = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)  # 勤労感謝の日, a Monday, 10:00 JST


async def member(runtime: Runtime, user: str, role: str = "lead", company: str = "株式会社サンプル") -> Convo:
    convo = Convo(runtime, user)
    code = await add_company(runtime, company, "csirt", role=role)
    await convo.send(f"/start {code}")
    return convo


async def short_path(
    convo: Convo, impact: str = "一部の業務に影響がある", spreading: str = "広がっていない", command: str = "/incident"
) -> None:
    await convo.send(command)
    convo.expect("category")
    await convo.send("ウイルス・マルウェア感染（Emotet等）")
    await convo.send("取引先から当社名の不審なメールが届いたと連絡があった")
    await convo.send(impact)
    await convo.send(spreading)


async def details(convo: Convo) -> None:
    """「詳しく答える」 under the filing reply: the detail questions come after it, not before."""
    await convo.press("show:details")


async def incidents(runtime: Runtime) -> list[Incident]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(Incident).order_by(Incident.id)))


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        ({"category": "malware", "impact": "stopped", "spreading": "no"}, "critical"),
        ({"category": "phishing", "impact": "none", "spreading": "yes"}, "critical"),
        ({"category": "ransomware", "impact": "none", "spreading": "no"}, "critical"),
        ({"category": "phishing", "impact": "none", "spreading": "no", "personal_data": "possible"}, "critical"),
        ({"category": "phishing", "impact": "partial", "spreading": "no"}, "high"),
        ({"category": "malware", "impact": "none", "spreading": "no"}, "high"),
        ({"category": "phishing", "impact": "unknown", "spreading": "possibly"}, "high"),
        ({"category": "phishing", "impact": "none", "spreading": "no"}, "low"),
        ({"category": "other", "impact": "unknown", "spreading": "unknown"}, "medium"),
    ],
)
def test_severity_rules(content: Content, answers: dict[str, str], level: str) -> None:
    config = content.response.incident
    assert config is not None
    assert severity_of(config, {k: Answer(v, v) for k, v in answers.items()}) == level


async def test_a_report_exists_after_four_answers_with_playbook_at_once(runtime: Runtime, clock: Clock) -> None:
    clock.now = OPEN_TUESDAY
    tanaka = await member(runtime, "tanaka")
    await short_path(tanaka)
    [incident] = await incidents(runtime)
    assert incident.number == "INC-2026-0001" and incident.severity == "high" and incident.status == "received"
    assert incident.playbook_id == "malware" and "jpcert_cc" in incident.contacts
    text = tanaka.text
    assert "INC-2026-0001" in text and "【今すぐやること】" in text
    assert "受付時間外" not in text  # Tuesday 10:00 JST: the desk is open
    await tanaka.press("show:checklist")
    assert "初動チェックリスト" in tanaka.text
    await tanaka.send("/incident contacts 1")
    assert "JPCERT/CC" in tanaka.text and "受付時間外" not in tanaka.text
    await tanaka.send("/incident details 1")
    tanaka.expect("noticed_on")  # the details follow


async def test_out_of_hours_on_a_public_holiday(runtime: Runtime, clock: Clock) -> None:
    clock.now = HOLIDAY
    tanaka = await member(runtime, "tanaka")
    await short_path(tanaka)
    text = tanaka.text
    assert "受付時間外" in text and "11/24 09:00" in text  # the desk sees it when it opens
    assert "（平日 9:00〜17:00）" in text  # the hours, from programme.yaml's desk.hours_text
    await tanaka.press("連絡先")  # the emergency destinations are one press away
    assert "110" in tanaka.text and "#9110" in tanaka.text
    [incident] = await incidents(runtime)
    assert incident.out_of_hours


async def test_details_can_raise_the_severity_and_notify_again(runtime: Runtime, clock: Clock) -> None:
    clock.now = OPEN_TUESDAY
    tanaka = await member(runtime, "tanaka")
    secretariat = Convo(runtime, "jimukyoku")
    await secretariat.send("/help")
    async with runtime.sessions.begin() as session:
        person = await session.scalar(select(Person).where(Person.platform_user_id == "jimukyoku"))
        assert person is not None
        person.role = "secretariat"
    await short_path(tanaka)
    await details(tanaka)
    for answer in ["昨日", "skip", "1,4", "2"]:
        await tanaka.send(answer)
    tanaka.expect("personal_data")
    await tanaka.send("可能性がある")
    assert "緊急" in tanaka.text
    [incident] = await incidents(runtime)
    assert incident.severity == "critical"
    async with runtime.sessions() as session:
        outbox = list(await session.scalars(select(OutboxRow).order_by(OutboxRow.id)))
    assert [row.chat_id for row in outbox] == ["jimukyoku", "jimukyoku"]  # filed, then raised
    assert "重大度の引き上げ" in outbox[1].payload["text"]


async def test_escalation_reaches_leads_experts_chats_and_secretariat_not_the_reporter(runtime: Runtime, clock: Clock) -> None:
    clock.now = OPEN_TUESDAY
    reporter = await member(runtime, "suzuki", role="member")
    await member(runtime, "lead1", role="lead")
    await member(runtime, "expert1", role="expert")
    await member(runtime, "other_lead", role="lead", company="他社株式会社")
    async with runtime.sessions.begin() as session:
        company_id = (await session.scalar(select(Person).where(Person.platform_user_id == "suzuki"))).company_id  # type: ignore[union-attr]
        session.add(Chat(platform="telegram", chat_id="-1001", company_id=company_id, purpose="incidents"))
    await short_path(reporter)
    await short_path(reporter, command="/incident new")  # a second incident, with its own notices
    await reporter.press("別の件: 新しい報告として受け付ける")  # asked first: the same category again
    async with runtime.sessions() as session:
        targets = sorted({row.chat_id for row in await session.scalars(select(OutboxRow))})
        count = len(list(await session.scalars(select(OutboxRow))))
    assert targets == ["-1001", "expert1", "lead1"]
    assert count == 6
    assert [i.number for i in await incidents(runtime)] == ["INC-2026-0001", "INC-2026-0002"]


async def test_the_same_submission_twice_files_one_incident(runtime: Runtime, clock: Clock) -> None:
    tanaka = await member(runtime, "tanaka")
    await tanaka.send("/incident")
    await tanaka.send("1")
    await tanaka.send("不審なメール")
    await tanaka.send("3")
    await tanaka.send("3", event_id="tg-100")
    await tanaka.send("3", event_id="tg-100")  # redelivered by the platform
    assert len(await incidents(runtime)) == 1


async def test_an_abandoned_report_stays_a_draft_and_resumes(runtime: Runtime) -> None:
    tanaka = await member(runtime, "tanaka")
    await tanaka.send("/incident")
    await tanaka.send("2")
    await tanaka.send("/hearing")  # off to something else: the report is paused, not lost
    for word in ("/incident status", "/incident 一覧", "/incident 状況", "/incident 進捗"):  # the lexicon's status words
        await tanaka.send(word)
        assert "書きかけの報告" in tanaka.text, word
    await tanaka.send("/incident")  # asks, never resumes silently (issue 17)
    assert [c.label for c in tanaka.question.options] == ["続きを答える", "新しい報告"]  # type: ignore[union-attr]
    await tanaka.press("続きを答える")
    tanaka.expect("what")
    assert await incidents(runtime) == []


async def test_a_future_date_is_refused(runtime: Runtime, clock: Clock) -> None:
    tanaka = await member(runtime, "tanaka")
    await short_path(tanaka)
    await details(tanaka)
    tanaka.expect("noticed_on")
    await tanaka.send("2099/01/01")
    assert tanaka.replies[0].kind == "reprompt"
    await tanaka.send("いつだったかな")
    assert tanaka.replies[0].kind == "reprompt"
    await tanaka.send("昨日")
    tanaka.expect("noticed_how")


async def report_with_a_screenshot(reporter: Convo, sender: Convo) -> list[IncidentEvent]:
    """`reporter` starts a report, `sender` (the same person, maybe through another process) sends a
    screenshot while it is a draft, `reporter` files it; the report's attachment events."""
    await reporter.send("/incident")
    await reporter.send("1")
    shot = Attachment(name="screen.png", platform_ref="telegram:file:AgAD", mime_type="image/png", size=12345)
    await sender.send("", attachments=(shot,))
    assert "開きません" in sender.text
    await reporter.send("画面に警告が出た")
    await reporter.send("3")
    await reporter.send("3")
    assert "INC-" in reporter.text
    async with reporter.runtime.sessions() as session:
        return list(await session.scalars(select(IncidentEvent).where(IncidentEvent.kind == "attachment")))


async def test_files_are_kept_as_references_only(runtime: Runtime) -> None:
    tanaka = await member(runtime, "tanaka")
    events = await report_with_a_screenshot(tanaka, tanaka)
    assert [e.data for e in events] == [{"name": "screen.png", "ref": "telegram:file:AgAD", "mime": "image/png", "size": 12345}]


async def test_follow_up_notes_ticks_and_status(runtime: Runtime) -> None:
    tanaka = await member(runtime, "tanaka", role="member")
    sato = await member(runtime, "sato", role="member")
    await short_path(tanaka)
    await tanaka.send("/incident note INC-2026-0001 全端末のスキャンを開始")
    assert "追記しました" in tanaka.text
    await tanaka.send("/incident done INC-2026-0001 1,2")
    assert tanaka.text.count("☑") == 2
    await tanaka.send("/incident undo INC-2026-0001 2")
    assert tanaka.text.count("☑") == 1
    await sato.send("/incident move INC-2026-0001 対応中")
    assert "状態を変更できるのは" in sato.text  # a colleague may read, not move it
    await tanaka.send("/incident move INC-2026-0001 収束")
    assert "収束" in tanaka.text
    await sato.send("/incident show INC-2026-0001")
    assert "全端末のスキャンを開始" in sato.text  # the timeline is the company's
    show = sato.question
    assert show is not None and show.question_ref and show.question_ref.startswith("inc:")
    await sato.press("✓ 3 完了")  # a button under the checklist ticks step 3
    assert sato.text.count("☑") == 2


async def test_steps_are_ticked_with_the_lexicon_separators(runtime: Runtime) -> None:
    tanaka = await member(runtime, "tanaka", role="member")
    await short_path(tanaka)
    await tanaka.send("/incident done INC-2026-0001 １、２・3")  # full-width digits, 、 and ・
    assert tanaka.text.count("☑") == 3
    await tanaka.send("/incident undo INC-2026-0001 2 / 3")
    assert tanaka.text.count("☑") == 1
    await tanaka.send("/incident done INC-2026-0001 2;3")  # not a separator: refused, nothing ticked
    assert tanaka.replies[0].kind == "reprompt"


async def test_other_companies_cannot_see_an_incident(runtime: Runtime) -> None:
    tanaka = await member(runtime, "tanaka")
    await short_path(tanaka)
    outsider = await member(runtime, "yamada", company="他社株式会社")
    for command in ["/incident show INC-2026-0001", "/incident note INC-2026-0001 見えますか", "/incident show INC-2026-9999"]:
        await outsider.send(command)
        assert "見つかりません" in outsider.text
    async with runtime.sessions() as session:
        notes = list(await session.scalars(select(IncidentEvent).where(IncidentEvent.kind == "update")))
    assert notes == []


async def test_unregistered_people_cannot_file(convo: Convo) -> None:
    await convo.send("/incident")
    assert "/soudan" in convo.text and convo.question is None


async def test_exported_report_layout(runtime: Runtime, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tanaka = await member(runtime, "tanaka")
    await short_path(tanaka, impact="業務が止まっている")
    await tanaka.send("/incident done INC-2026-0001 1")
    markdown = run_cli("export", "incident", "INC-2026-0001")
    assert markdown.returncode == 0, markdown.stderr
    headings = [line for line in markdown.stdout.splitlines() if line.startswith("#")]
    assert headings[0] == "# インシデント報告書 INC-2026-0001"
    assert [h.split(". ", 1)[1] for h in headings[1:]] == [
        "報告者情報", "インシデントの概要", "影響", "実施済みの対応と連絡", "初動チェックリスト", "相談・届出先", "経過（タイムライン）",
    ]
    assert "- [x] " in markdown.stdout and "| 受付 (tanaka) | 緊急 |" in markdown.stdout
    out = tmp_path / "inc.json"
    exported = run_cli("export", "incident", "INC-2026-0001", "--format", "json", "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["severity"]["id"] == "critical"
    assert [e["kind"] for e in document["timeline"]][:3] == ["filed", "escalated", "step"]
    missing = run_cli("export", "incident", "INC-2026-0999")
    assert missing.returncode == 2 and "no incident" in missing.stderr


async def test_out_of_hours_a_malware_report_is_not_sent_to_110_first(runtime: Runtime, clock: Clock, content: Content) -> None:
    clock.now = HOLIDAY
    tanaka = await member(runtime, "tanaka")
    await short_path(tanaka)
    await tanaka.press("連絡先")
    emergency = tanaka.text.split("【緊急時の連絡先】", 1)[1]
    assert content.contacts is not None
    names = {c.id: c.name.ja for c in content.contacts.contacts}
    listed = [line[2:] for line in emergency.splitlines() if line.startswith("● ")]
    assert listed[0] != names["police_110"]
    assert listed.index(names["police_110"]) == len(listed) - 1
    # the recovery vendors' list comes before 110: here already among the category's destinations
    # (the playbook's contacts), so the emergency list leaves it out rather than repeat it
    before = tanaka.text.split("【緊急時の連絡先】", 1)[0]
    assert names["jnsa_emergency_response"] in before or listed.index(names["jnsa_emergency_response"]) < len(listed) - 1
    assert "03-6271-8901" in tanaka.text  # JPCERT/CC's number among the category's destinations


async def secretariat_clerk(runtime: Runtime, user: str = "jimukyoku") -> Convo:
    clerk = Convo(runtime, user)
    await clerk.send("/help")
    async with runtime.sessions.begin() as session:
        person = await session.scalar(select(Person).where(Person.platform_user_id == user))
        assert person is not None
        person.role = "secretariat"
    return clerk


async def follow_ups(runtime: Runtime) -> list[tuple[str, str, str]]:
    """(event, chat, text) of every follow-up notice queued, in order."""
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(Notice.payload, OutboxRow.chat_id, OutboxRow.payload).join(OutboxRow, OutboxRow.notice_id == Notice.id)
            .where(Notice.kind == "incident_update").order_by(OutboxRow.id)
        )
        return [(notice["event"], chat, row["text"]) for notice, chat, row in rows]


async def test_the_reporter_and_lead_hear_of_the_secretariats_and_experts_notes_and_moves(runtime: Runtime, clock: Clock) -> None:
    clock.now = OPEN_TUESDAY
    reporter = await member(runtime, "suzuki", role="member")
    await member(runtime, "lead1", role="lead")
    expert = await member(runtime, "expert1", role="expert")
    clerk = await secretariat_clerk(runtime)
    await short_path(reporter)
    await reporter.send("/incident note INC-2026-0001 全端末のスキャンを開始")
    assert await follow_ups(runtime) == []  # the reporter's own note tells nobody

    await clerk.send("/incident note INC-2026-0001 JPCERT/CCに連絡済みです")
    await expert.send("/incident move INC-2026-0001 対応中")
    await reporter.send("/incident move INC-2026-0001 収束")  # the reporter's own move: nobody

    told = await follow_ups(runtime)
    assert [(event, chat) for event, chat, _ in told] == [
        ("update", "suzuki"), ("update", "lead1"), ("status", "suzuki"), ("status", "lead1"),
    ]
    assert "JPCERT/CCに連絡済みです" in told[0][2] and "運営事務局" in told[0][2]
    assert "対応中" in told[2][2] and "担当の専門家" in told[2][2]


async def test_closing_tells_everyone_who_was_told_at_filing_and_the_reporter(runtime: Runtime, clock: Clock) -> None:
    clock.now = OPEN_TUESDAY
    reporter = await member(runtime, "suzuki", role="member")
    await member(runtime, "lead1", role="lead")
    await member(runtime, "expert1", role="expert")
    clerk = await secretariat_clerk(runtime)
    await short_path(reporter)
    await clerk.send("/incident move INC-2026-0001 クローズ")
    await clerk.send("/incident move INC-2026-0001 クローズ")  # the same status again: no second notice

    told = await follow_ups(runtime)
    assert sorted(chat for _, chat, _ in told) == ["expert1", "lead1", "suzuki"]  # not the clerk who closed it
    assert {event for event, _, _ in told} == {"closed"}
    assert all("INC-2026-0001" in text for _, _, text in told)
