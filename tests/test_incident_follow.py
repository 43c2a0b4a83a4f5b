"""Following incidents: lists by role, short references, no existence oracle, safe presses."""

from __future__ import annotations

from sqlalchemy import select

from bot.engine.runtime import Runtime
from bot.store.models import IncidentEvent, Person
from tests.conftest import Clock, Convo
from tests.test_incident import member, short_path


async def clerk(runtime: Runtime, user: str = "jimu") -> Convo:
    convo = Convo(runtime, user)
    await convo.send("/help")
    async with runtime.sessions.begin() as session:
        person = await session.scalar(select(Person).where(Person.platform_user_id == user))
        assert person is not None
        person.role = "secretariat"
    return convo


async def two_companies(runtime: Runtime, clock: Clock) -> tuple[Convo, Convo, Convo]:
    """A report of B社 (high), then one of A社 (critical), then another of B社 (critical)."""
    a, b = await member(runtime, "lead_a", company="A社"), await member(runtime, "lead_b", company="B社")
    expert = await member(runtime, "expert_b", role="expert", company="B社")
    await short_path(b)
    clock.advance(hours=1)
    await short_path(a, impact="業務が止まっている")
    clock.advance(hours=1)
    await short_path(b, impact="業務が止まっている", command="/incident new")
    return a, b, expert


async def test_each_role_lists_the_open_incidents_it_may_see(runtime: Runtime, clock: Clock) -> None:
    a, b, expert = await two_companies(runtime, clock)
    jimu = await clerk(runtime)
    await jimu.send("/incidents")
    rows = [line for line in jimu.text.splitlines() if line.startswith("INC-")]
    # the most severe first, then the oldest; each with its company
    assert [r.split()[0] for r in rows] == ["INC-2026-0002", "INC-2026-0003", "INC-2026-0001"]
    assert "（A社）" in rows[0] and "（B社）" in rows[1] and "3 件" in jimu.text
    await expert.send("/incident status")
    assert [line.split()[0] for line in expert.text.splitlines() if line.startswith("INC-")] == ["INC-2026-0003", "INC-2026-0001"]
    await a.send("/incident status")
    assert [line.split()[0] for line in a.text.splitlines() if line.startswith("INC-")] == ["INC-2026-0002"]
    assert "B社" not in a.text


async def test_an_expert_with_no_open_incident_is_told_so(runtime: Runtime, clock: Clock) -> None:
    expert = await member(runtime, "expert_b", role="expert", company="B社")
    await expert.send("/incidents")
    assert "対応中のインシデントはありません。" in expert.text and "/incident と送って" not in expert.text


async def test_short_references_name_the_same_report(runtime: Runtime, clock: Clock) -> None:
    a, b, _ = await two_companies(runtime, clock)
    for ref in ["2", "#2", "INC-2", "inc-2026-0002", "INC-2026-0002", "ＩＮＣ－２"]:
        await a.send(f"/incident show {ref}")
        assert "INC-2026-0002" in a.text, ref
        assert a.question is not None, ref  # the buttons of the report


async def test_a_reference_to_another_companys_report_reads_like_none(runtime: Runtime, clock: Clock) -> None:
    a, b, _ = await two_companies(runtime, clock)
    answers = {}
    for ref in ["1", "INC-2026-0001", "9", "INC-2026-0009"]:  # 1 is B社's, 9 does not exist
        await a.send(f"/incident show {ref}")
        answers[ref] = (a.replies[0].kind, a.text.replace(ref, "REF"))
        await a.send(f"/incident note {ref} 見えますか")
        answers[ref + " note"] = (a.replies[0].kind, a.text.replace(ref, "REF"))
    assert answers["1"] == answers["9"] == answers["INC-2026-0001"] == answers["INC-2026-0009"]
    assert answers["1 note"] == answers["9 note"]
    assert "見つかりません" in answers["1"][1]
    async with runtime.sessions() as session:
        assert list(await session.scalars(select(IncidentEvent).where(IncidentEvent.kind == "update"))) == []


async def test_a_reference_over_two_years_asks_which(runtime: Runtime, clock: Clock) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await short_path(a)
    clock.advance(days=365)
    await short_path(a, command="/incident new")
    await a.send("/incident show 1")
    assert a.replies[0].kind == "reprompt"
    assert "INC-2027-0001" in a.text and "INC-2026-0001" in a.text
    await a.send("/incident show 2026-1")
    assert "INC-2026-0001" in a.text and a.question is not None
