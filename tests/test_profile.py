"""/profile: a reporter's call-back contact, asked once, shown to readers of the report and exported."""

from __future__ import annotations

from sqlalchemy import select

from bot.runtime.core import Runtime
from bot.store.models import OutboxRow, Person
from tests.conftest import Clock
from tests.test_incident import member, short_path


async def test_asked_once_at_the_first_report_and_skippable(runtime: Runtime, clock: Clock) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await short_path(a)
    assert "/profile 氏名" in a.text  # the invitation, once
    clock.advance(hours=1)
    await short_path(a, command="/incident new")
    assert "INC-2026-0002" in a.text and "/profile 氏名" not in a.text  # never again
    async with runtime.sessions() as session:
        person = await session.scalar(select(Person).where(Person.platform_user_id == "lead_a"))
        assert person is not None and person.profile_asked_at is not None and person.phone is None


async def test_set_change_and_clear_with_clear_messages_for_bad_input(runtime: Runtime) -> None:
    a = await member(runtime, "lead_a", company="A社")
    await a.send("/profile 氏名 山田 太郎")
    assert "氏名を「山田 太郎」で登録しました" in a.text
    await a.send("/profile 電話 ０３－１２３４－５６７８")  # full-width, as typed on a phone
    assert "03-1234-5678" in a.text
    await a.send("/profile 電話 よろしく")
    assert a.replies[0].kind == "reprompt" and "03-1234-5678" in a.text  # the example, not a stack trace
    await a.send("/profile email taro@@x")
    assert a.replies[0].kind == "reprompt"
    await a.send("/profile 部署 " + "総" * 101)
    assert a.replies[0].kind == "reprompt" and "100" in a.text
    await a.send("/profile department 経理部")
    await a.send("/profile")
    assert "山田 太郎" in a.text and "経理部" in a.text and "03-1234-5678" in a.text
    await a.send("/profile 部署 -")
    async with runtime.sessions() as session:
        person = await session.scalar(select(Person).where(Person.platform_user_id == "lead_a"))
    assert person is not None and (person.full_name, person.department, person.phone) == ("山田 太郎", None, "03-1234-5678")


async def test_readers_see_the_reporters_contact_and_others_do_not(runtime: Runtime) -> None:
    a = await member(runtime, "member_a", role="member", company="A社")
    lead = await member(runtime, "lead_a", company="A社")
    outsider = await member(runtime, "lead_b", company="B社")
    await a.send("/profile 氏名 山田太郎")
    await a.send("/profile 電話 03-1234-5678")
    await short_path(a)
    await lead.send("/incident show 1")
    assert "報告者の連絡先: 氏名: 山田太郎、電話: 03-1234-5678" in lead.text
    await outsider.send("/incident show 1")
    assert "山田太郎" not in outsider.text and "見つかりません" in outsider.text
    async with runtime.sessions() as session:
        notices = [row.payload["text"] for row in await session.scalars(select(OutboxRow))]
    assert notices and all("03-1234-5678" in text for text in notices)  # the lead can call back


async def test_the_export_carries_the_jpcert_reporter_fields(runtime: Runtime, run_cli) -> None:  # type: ignore[no-untyped-def]
    a = await member(runtime, "lead_a", company="A社")
    await a.send("/profile 氏名 山田太郎")
    await a.send("/profile 部署 総務部")
    await a.send("/profile メール taro@example.jp")
    await short_path(a)
    markdown = run_cli("export", "incident", "INC-2026-0001")
    assert markdown.returncode == 0, markdown.stderr
    for line in ["- **報告者氏名**: 山田太郎", "- **部署**: 総務部", "- **電話**: -", "- **メール**: taro@example.jp"]:
        assert line in markdown.stdout
