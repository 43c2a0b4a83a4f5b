"""Following incidents: lists by role, short references, no existence oracle, safe presses."""

from __future__ import annotations

import io

from sqlalchemy import select

from bot.runtime.core import Runtime
from bot.platforms.console import run_console
from bot.store.models import Incident, IncidentEvent, Person
from tests.conftest import Clock, Convo
from tests.test_incident import details, member, short_path


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


async def ticked(runtime: Runtime) -> list[tuple[str, bool]]:
    async with runtime.sessions() as session:
        events = await session.scalars(select(IncidentEvent).where(IncidentEvent.kind == "step").order_by(IncidentEvent.id))
        return [(str(e.data["step"]), bool(e.data["done"])) for e in events if e.data]


async def test_console_press_n_is_step_n_after_every_tick(runtime: Runtime, clock: Clock) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await short_path(a)
    out = io.StringIO()
    script = "/incident show 1\n/press 3\n/press 5\n/press 3\n"
    await run_console(runtime, "lead_a", stdin=io.StringIO(script), stdout=out, background=False)
    async with runtime.sessions() as session:
        incident = await session.scalar(select(Incident))
        assert incident is not None
    steps = [s.id for s in runtime.content.response.playbooks[incident.playbook_id or ""].steps]
    # 3, then 5, then 3 again (now "not done"): the numbers never moved
    assert await ticked(runtime) == [(steps[2], True), (steps[4], True), (steps[2], False)]
    assert "  3. ↺ 3 未完了に戻す" in out.getvalue() and "  5. ↺ 5 未完了に戻す" in out.getvalue()


async def test_containing_and_closing_ask_once_with_one_button(runtime: Runtime, clock: Clock) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await short_path(a)
    await a.send("/incident show 1")
    await a.press("状態を「対応中」に")  # no confirmation needed to start work
    assert "「対応中」にしました" in a.text
    await a.send("/incident show 1")
    await a.press("状態を「クローズ」に")
    assert a.question is not None and [c.label for c in a.question.options] == ["はい、「クローズ」にする"]
    async with runtime.sessions() as session:
        assert (await session.scalar(select(Incident))).status == "in_progress"  # type: ignore[union-attr]
    await a.press("はい、「クローズ」にする")
    assert "「クローズ」にしました" in a.text
    async with runtime.sessions() as session:
        assert (await session.scalar(select(Incident))).status == "closed"  # type: ignore[union-attr]


async def test_a_press_under_an_old_message_acts_on_the_current_state(runtime: Runtime, clock: Clock) -> None:
    a = await member(runtime, "lead_a", company="A社")
    b = await member(runtime, "member_a", role="member", company="A社")
    await short_path(a)
    await a.send("/incident show 1")
    old = a.question
    await a.press("状態を「収束」に")
    confirm = a.question
    await a.press("はい、「収束」にする")
    a.replies = [confirm]  # type: ignore[list-item]
    await a.press("はい、「収束」にする")  # the same confirmation pressed again
    assert "すでに「収束」です" in a.text
    a.replies = [old]  # type: ignore[list-item]
    await a.press("✓ 1 完了")
    a.replies = [old]  # type: ignore[list-item]
    await a.press("✓ 1 完了")  # pressed twice under the same message: still ticked once
    assert a.text.count("☑") == 1
    await b.send("/incident show 1")
    await b.press("状態を「クローズ」に")  # a colleague may read, not close it
    assert "状態を変更できるのは" in b.text and b.question is None


async def test_a_note_of_ten_thousand_characters_is_refused_with_the_limit(runtime: Runtime) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await short_path(a)
    await a.send("/incident note 1 " + "あ" * 10_000)
    assert a.replies[0].kind == "reprompt" and "2000" in a.text
    async with runtime.sessions() as session:
        assert list(await session.scalars(select(IncidentEvent).where(IncidentEvent.kind == "update"))) == []
    await a.send("/incident note 1 全端末のスキャンを開始")  # nothing was lost: the next one goes in
    assert "追記しました" in a.text


HEARING_WORDS = ("このヒアリングを終了しますか", "/hearing で続きから再開", "/hearing でいつでも新しく", "専門家が初回訪問の前に確認します")


async def test_pausing_cancelling_and_resuming_a_report_speak_of_the_report(runtime: Runtime) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await a.send("/incident")
    await a.send("1")
    await a.send("中断")
    assert "/incident で続きから再開" in a.text
    await a.send("/incident")
    await a.press("続きを答える")
    assert "の続きを伺います" in a.text
    a.expect("what")
    await a.send("キャンセル")
    assert "この報告の入力を終了しますか" in a.text
    await a.send("はい")
    assert "/incident new" in a.text
    assert not [w for w in HEARING_WORDS if any(w in line for line in a.transcript)]


async def test_a_report_answered_to_the_end_is_not_a_hearing(runtime: Runtime) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await short_path(a)
    await details(a)
    for _ in range(30):  # every detail question: its first option, 昨日 for a date, else skipped
        question = a.question
        if question is None:
            break
        if question.options:
            await a.press(question.options[0].label)
        else:
            await a.send("スキップ")
            if a.replies[0].kind == "reprompt":
                await a.send("昨日")
    assert any("詳細を記録しました" in line for line in a.transcript)
    assert any("の回答が完了しました" in line for line in a.transcript)
    assert not [w for w in HEARING_WORDS if any(w in line for line in a.transcript)]


async def test_incident_with_a_draft_open_asks_and_new_starts_afresh(runtime: Runtime) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await a.send("/incident")
    await a.send("1")  # a draft: category answered
    await a.send("/incident")
    draft = a.question
    await a.press("新しい報告")
    a.expect("category")  # a new report asks from the start
    a.replies = [draft]  # type: ignore[list-item]
    await a.press("続きを答える")  # under the old question: that draft is no longer the open one
    assert a.replies[0].kind == "reprompt" and "もう入力中ではありません" in a.text


async def test_help_names_incident_new_and_the_lists(runtime: Runtime) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await a.send("/help")
    assert "/incident new" in a.text
    jimu = await clerk(runtime)
    await jimu.send("/help")
    assert "/incidents" in jimu.text


async def test_the_same_category_again_within_30_minutes_asks_first(runtime: Runtime, clock: Clock) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await short_path(a)
    clock.advance(minutes=10)
    await short_path(a, command="/incident new")
    assert "INC-2026-0001（2026-11-24 10:00 受付）と同じ件ですか？" in a.text
    async with runtime.sessions() as session:
        assert len(list(await session.scalars(select(Incident)))) == 1  # nothing filed, nobody told yet
    await a.press("同じ件: INC-2026-0001 に追記")
    assert "INC-2026-0001 の経過に追記しました" in a.text
    async with runtime.sessions() as session:
        assert len(list(await session.scalars(select(Incident)))) == 1
        notes = [e.text for e in await session.scalars(select(IncidentEvent).where(IncidentEvent.kind == "update"))]
    assert notes == ["取引先から当社名の不審なメールが届いたと連絡があった"]  # the person's own words
    await a.send("/incident")  # the draft ended with the note; what is open is INC-2026-0001's details
    await a.press("続きを答える")
    assert a.key() not in (None, "category") and "INC-2026-0002" not in a.text


async def test_another_case_is_filed_and_an_old_press_files_nothing_twice(runtime: Runtime, clock: Clock) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await short_path(a)
    clock.advance(minutes=29)
    await short_path(a, command="/incident new")
    asked = a.question
    await a.press("別の件: 新しい報告として受け付ける")
    assert "INC-2026-0002" in a.text and a.question is not None  # filed, and the details follow
    a.replies = [asked]  # type: ignore[list-item]
    await a.press("同じ件: INC-2026-0001 に追記")
    assert a.replies[0].kind == "reprompt"
    async with runtime.sessions() as session:
        assert len(list(await session.scalars(select(Incident)))) == 2
        assert list(await session.scalars(select(IncidentEvent).where(IncidentEvent.kind == "update"))) == []


async def test_after_30_minutes_or_another_category_nothing_is_asked(runtime: Runtime, clock: Clock) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await short_path(a)
    clock.advance(minutes=31)
    await short_path(a, command="/incident new")
    assert "同じ件ですか" not in a.text and "INC-2026-0002" in a.text
    await a.send("/incident new")
    await a.send("ランサムウェア（ファイルの暗号化・身代金要求）")
    for answer in ["ファイルが開けない", "一部の業務に影響がある", "広がっていない"]:
        await a.send(answer)
    assert "同じ件ですか" not in a.text and "INC-2026-0003" in a.text


async def test_a_quick_list_report_skipped_words_keeps_the_path_as_context_only(runtime: Runtime, clock: Clock) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await a.send("/soudan")
    await a.send("5")  # セキュリティ侵害が発生している
    labels = [c.label for c in a.question.options]  # type: ignore[union-attr]
    await a.send(str(next(i for i, label in enumerate(labels, 1) if "Word" in label)))
    await a.send("1")
    await a.send("はい")
    a.expect("what")
    await a.send("スキップ")  # in a hurry: the first steps still come
    await a.send("業務が止まっている")
    await a.send("広がっていない")
    assert "INC-2026-0001" in a.text
    await a.send("/incident show 1")
    summary = a.text.split("【初動チェックリスト")[0]
    assert "概要: （スキップ）" in summary  # never the menu path as the person's words
    assert "相談窓口の案内での選択: " in summary


async def test_a_file_sent_with_a_same_case_draft_goes_to_that_report(runtime: Runtime, clock: Clock) -> None:
    from bot.engine.messages import Attachment

    a = await member(runtime, "lead_a", company="A社")
    await short_path(a)
    await a.send("/incident new")
    await a.send("ウイルス・マルウェア感染（Emotet等）")
    shot = Attachment(name="screen.png", platform_ref="telegram:file:AgAD", mime_type="image/png", size=12345)
    await a.send("", attachments=(shot,))
    for answer in ["また警告が出た", "一部の業務に影響がある", "広がっていない"]:
        await a.send(answer)
    await a.press("同じ件: INC-2026-0001 に追記")
    async with runtime.sessions() as session:
        events = list(await session.scalars(select(IncidentEvent).where(IncidentEvent.kind.in_(("update", "attachment")))))
    assert [(e.kind, e.text or (e.data or {}).get("name")) for e in events] == [("update", "また警告が出た"), ("attachment", "screen.png")]
