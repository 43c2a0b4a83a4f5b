"""Who is who, end to end: two companies set up as a new secretariat would, and a member of one
trying, through chat and CLI, to read the other's data, to act as the secretariat, to reuse a code."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.runtime.core import Runtime
from bot.store.models import AuditEntry, Company, Incident, IntakeMiss, Person
from tests.conftest import Clock, Convo

pytestmark = pytest.mark.slow


def last_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def setup(run_cli):  # type: ignore[no-untyped-def]
    """The secretariat's first steps on the CLI; returns the invitation codes."""
    assert "now secretariat" in run_cli("secretariat", "add", "jimu").stdout
    codes = {
        "lead_a": last_line(run_cli("company", "add", "A社", "--course", "csirt", "--as", "jimu")),
        "lead_b": last_line(run_cli("company", "add", "B社", "--course", "it-bcp", "--as", "jimu")),
        "member_a": last_line(run_cli("invite", "A社", "--role", "member", "--as", "jimu")),
        "expert_b": last_line(run_cli("invite", "B社", "--role", "expert", "--expires", "2d", "--as", "jimu")),
    }
    return codes


async def test_a_member_cannot_reach_another_company(runtime: Runtime, setup, run_cli) -> None:  # type: ignore[no-untyped-def]
    lead_b, member_a = Convo(runtime, "lead_b"), Convo(runtime, "member_a")
    await lead_b.send(f"/start {setup['lead_b']}")
    await member_a.send(f"/start {setup['member_a']}")
    assert "A社" in member_a.text
    await lead_b.send("/hearing")
    await lead_b.send("30")
    await lead_b.send("/incident")
    for answer in ["1", "不審なメールが届いた", "3", "3"]:
        await lead_b.send(answer)
    assert "INC-2026-0001" in lead_b.text

    # chat: the other company's hearing report and incident, and an unknown company, look the same
    await member_a.send("/report B社")
    refused = member_a.text
    await member_a.send("/report 存在しない社")
    assert member_a.text == refused
    await member_a.send("/incident show INC-2026-0001")
    assert "見つかりません" in member_a.text and "B社" not in member_a.text
    await member_a.send("/overview")
    assert "運営事務局専用" in member_a.text
    # a used code is refused
    await member_a.send(f"/start {setup['lead_b']}")
    assert "すでに別の立場" in member_a.text or "使われています" in member_a.text

    # CLI as the member: refused with one line that says nothing about B社
    for args in (
        ["export", "hearing", "--company", "B社", "--output", "x.md"],
        ["export", "hearing", "--company", "存在しない社", "--output", "x.md"],
        ["export", "incident", "INC-2026-0001"],
        ["overview"],
        ["invite", "B社"],
        ["company", "purge", "B社", "--confirm", "B社"],
        ["secretariat", "add", "member_a"],
    ):
        result = run_cli(*args, "--as", "member_a")
        assert result.returncode == 3, (args, result.stdout, result.stderr)
        assert result.stderr.strip().splitlines() == ["error: not allowed, or not found (this is recorded in the audit log)"]

    # the lead of B reads its own report; the secretariat sees everything and the refusals
    await lead_b.send("/report")
    assert "従業員数" in lead_b.text and "30人" in lead_b.text
    audit = run_cli("audit", "--as", "jimu")
    refusals = [line for line in audit.stdout.splitlines() if "REFUSED" in line and "member_a" in line]
    assert len(refusals) >= 10
    assert any("export_hearing" in line for line in refusals) and any("read_hearing" in line for line in refusals)
    overview = run_cli("overview", "--format", "csv", "--as", "jimu")
    assert overview.returncode == 0, overview.stderr
    rows = overview.stdout.strip().splitlines()
    assert rows[0] == "company,course,members,hearing,status,incidents,actions,next_visit"
    assert any(r.startswith("B社,it-bcp,1,1/") and "high:1" in r for r in rows), rows


async def test_experts_see_the_companies_they_are_assigned_to(runtime: Runtime, setup, run_cli) -> None:  # type: ignore[no-untyped-def]
    expert, lead_a = Convo(runtime, "expert_b"), Convo(runtime, "lead_a")
    await expert.send(f"/start {setup['expert_b']}")
    assert "担当専門家" in expert.text
    await lead_a.send(f"/start {setup['lead_a']}")
    await lead_a.send("/hearing")
    await lead_a.send("12")
    await expert.send("/report B社")
    assert "ヒアリングシート結果報告書" in expert.text
    await expert.send("/report A社")
    assert "表示できません" in expert.text
    await expert.send("/hearing")  # experts do not answer for a company
    assert expert.question is None
    assert run_cli("export", "hearing", "--company", "B社", "--output", "b.md", "--as", "expert_b").returncode == 0
    assert run_cli("export", "hearing", "--company", "A社", "--output", "a.md", "--as", "expert_b").returncode == 3


async def test_guessing_codes_is_rate_limited(runtime: Runtime, clock: Clock) -> None:
    guesser = Convo(runtime, "guesser")
    for attempt in range(5):
        await guesser.send(f"/start WRONG{attempt}")
        assert "見つかりません" in guesser.text
    await guesser.send("/start WRONG9")
    assert "待ってから" in guesser.text
    clock.advance(minutes=16)
    await guesser.send("/start WRONG10")
    assert "見つかりません" in guesser.text


async def test_guessing_link_codes_is_rate_limited_with_invitation_codes(runtime: Runtime, clock: Clock) -> None:
    book = runtime.content.book
    guesser = Convo(runtime, "U0GUESSER", platform="slack")
    for attempt in range(5):
        await guesser.send(f"/link WRONG{attempt:03d}")
        assert guesser.text == book.say("link.bad_code", "ja")
    await guesser.send("/link WRONG999")
    assert guesser.text == book.say("link.too_many_attempts", "ja", minutes=15)
    clock.advance(minutes=16)
    await guesser.send("/link WRONG000")
    assert guesser.text == book.say("link.bad_code", "ja")

    # One budget: alternating the two commands does not double the tries.
    other = Convo(runtime, "U0ALTERNAT", platform="slack")
    for attempt in range(5):
        await other.send(f"/start WRONG{attempt}" if attempt % 2 else f"/link WRONG{attempt:03d}")
    await other.send("/link WRONG999")
    assert other.text == book.say("link.too_many_attempts", "ja", minutes=15)
    await other.send("/start WRONG9")
    assert "待ってから" in other.text


async def test_linking_slack_and_telegram_to_one_person(runtime: Runtime, setup) -> None:  # type: ignore[no-untyped-def]
    on_telegram = Convo(runtime, "777", platform="telegram")
    await on_telegram.send(f"/start {setup['lead_a']}")
    await on_telegram.send("/hearing")
    await on_telegram.send("40")
    await on_telegram.send("/link")
    code = on_telegram.text.split("/link ")[1].split("」")[0]
    on_slack = Convo(runtime, "U123", platform="slack")
    await on_slack.send("/help")  # a first contact creates a separate, unregistered person
    await on_slack.send(f"/link {code}")
    assert "連携しました" in on_slack.text
    await on_slack.send("/hearing")
    assert "57問中1問回答済み" in on_slack.text  # the same company sheet
    await on_slack.press("continue")
    on_slack.expect("sites")  # at the same question
    await on_slack.send(f"/link {code}")  # one-time
    assert "使えません" in on_slack.text
    async with runtime.sessions() as session:
        people = list(await session.scalars(select(Person).where(Person.platform != "console")))
    assert [p.platform_user_id for p in people] == ["777"]  # the Slack account's own person is gone


async def test_purge_deletes_a_company_and_says_what(runtime: Runtime, setup, run_cli) -> None:  # type: ignore[no-untyped-def]
    lead_b = Convo(runtime, "lead_b")
    await lead_b.send(f"/start {setup['lead_b']}")
    await lead_b.send("B社の件でちょっと相談なんですけど")  # kept by the intake: their own words go too
    await lead_b.send("/incident")
    for answer in ["1", "不審なメール", "3", "3"]:
        await lead_b.send(answer)
    wrong = run_cli("company", "purge", "B社", "--confirm", "B", "--as", "jimu")
    assert wrong.returncode == 2 and "nothing was deleted" in wrong.stderr
    done = run_cli("company", "purge", "B社", "--confirm", "B社", "--as", "jimu")
    assert done.returncode == 0, done.stderr
    assert "1 people" in done.stdout and "1 incidents" in done.stdout
    async with runtime.sessions() as session:
        assert await session.scalar(select(Company).where(Company.name == "B社")) is None
        assert list(await session.scalars(select(Incident))) == []
        assert [m.person_id for m in await session.scalars(select(IntakeMiss))] == []
        purges = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "purge_company")))
    assert [(p.target, (p.detail or {}).get("outcome")) for p in purges] == [("B社", "failed"), ("B社", "done")]


async def test_incident_text_and_answers_stay_out_of_info_logs(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    reporter = Convo(runtime, "reporter")
    from tests.conftest import add_company

    code = await add_company(runtime, "C社", "csirt")
    await reporter.send(f"/start {code}")
    await reporter.send("/incident")
    secret = "社長のPCのパスワードはhunter2です"
    for answer in ["1", secret, "3", "3"]:
        await reporter.send(answer)
    await reporter.send(secret, event_id="dup-1")
    await reporter.send(secret, event_id="dup-1")
    leaked = [r for r in caplog.records if r.levelno >= logging.INFO and "hunter2" in r.getMessage()]
    assert leaked == []
