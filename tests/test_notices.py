"""Broadcasts: targeting by course and company, each in the recipient's language, the chat preview
and confirmation (a second press sends nothing twice), `notice status`, sending later, cancelling."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from bot.engine.messages import Outbound
from bot.runtime.core import Runtime
from bot.platforms.base import RetryLater, Undeliverable
from scheduler.audience import parse_audience
from scheduler.delivery import deliver_due
from scheduler.errors import ProgrammeError
from scheduler.notices import broadcast, cancel_notice, notice_status
from tests.calendar_setup import company, outbox, person
from tests.conftest import Clock, Convo


async def programme(runtime: Runtime) -> None:
    await company(runtime, "A社", "csirt", lead="a1", members=("a2",))
    await company(runtime, "B社", "it-bcp", lead="b1")
    await company(runtime, "C社", "it-bcp")  # nobody registered yet
    await person(runtime, "alice", role="member", company="B社", language="en")
    await person(runtime, "expert1", role="expert")
    await person(runtime, "jimu", role="secretariat")
    await person(runtime, "stranger")


async def send(runtime: Runtime, target: str, text: str = "来週のセミナーのお知らせです。", **extra: object) -> int:
    async with runtime.sessions.begin() as session:
        notice, _ = await broadcast(session, runtime.content, parse_audience(target), text, now=runtime.clock(), **extra)  # type: ignore[arg-type]
        return notice.id


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("all", ["a1", "a2", "alice", "b1"]),
        ("course:csirt", ["a1", "a2"]),
        ("course:it-bcp", ["alice", "b1"]),
        ("company:B社", ["alice", "b1"]),
        ("Course:CSIRT", ["a1", "a2"]),
    ],
)
async def test_a_broadcast_reaches_exactly_its_target(runtime: Runtime, target: str, expected: list[str]) -> None:
    await programme(runtime)
    notice_id = await send(runtime, target)
    rows = await outbox(runtime, "")
    assert sorted(r.chat_id for r in rows) == expected
    assert all(r.status == "pending" for r in rows)
    async with runtime.sessions() as session:
        assert (await notice_status(session, notice_id)).counts == {"pending": len(expected)}


@pytest.mark.parametrize(
    ("target", "key"),
    [("company:X社", "programme.unknown_company"), ("everyone", "programme.bad_audience"),
     ("course:other", "programme.bad_audience"), ("company:C社", "programme.no_recipients")],
)
async def test_a_target_that_reaches_nobody_is_an_error(runtime: Runtime, target: str, key: str) -> None:
    await programme(runtime)
    with pytest.raises(ProgrammeError) as raised:
        await send(runtime, target)
    assert raised.value.key == key


async def test_each_recipient_reads_it_in_their_language(runtime: Runtime) -> None:
    await programme(runtime)
    await send(runtime, "company:B社", "Seminar next week / 来週セミナー")
    texts = {r.chat_id: r.message.text for r in await outbox(runtime)}
    assert texts["b1"].startswith("【運営事務局からのお知らせ】\n")
    assert texts["alice"].startswith("[From the programme secretariat]\n")


async def test_in_chat_a_preview_first_and_one_notice_however_often_send_is_pressed(runtime: Runtime) -> None:
    await programme(runtime)
    jimu = Convo(runtime, "jimu")
    await jimu.send("/notice course:csirt 12月のセミナーは会場が変わります。\n詳細は追ってお知らせします。")
    [preview] = jimu.replies
    assert "2人（宛先: course:csirt）" in preview.text and "詳細は追って" in preview.text
    assert [c.value for c in preview.options] == ["send", "cancel"]
    assert await outbox(runtime) == []  # nothing before the confirmation

    await jimu.send("", choice="send", reply_to=preview.question_ref)
    assert "お知らせ #1 を 2人に送ります" in jimu.text
    await jimu.send("", choice="send", reply_to=preview.question_ref)
    assert "送信済み" in jimu.text
    rows = await outbox(runtime)
    assert sorted(r.chat_id for r in rows) == ["a1", "a2"]
    assert rows[0].message.text.endswith("12月のセミナーは会場が変わります。\n詳細は追ってお知らせします。")

    await jimu.send('/notice send --to company:B社 --text "B社の皆さまへ"')
    [second] = jimu.replies
    await jimu.send("", choice="cancel", reply_to=second.question_ref)
    await jimu.send("", choice="send", reply_to=second.question_ref)
    assert "取り消しました" in jimu.text
    assert len(await outbox(runtime)) == 2

    await jimu.send("/notice status 1")
    assert "お知らせ #1（2件）: 送信済み 0・送信待ち 2・失敗 0・取消 0" in jimu.text
    await jimu.send("/notice nowhere")
    assert "使い方" in jimu.text
    await jimu.send("/notice company:X社 hello")
    assert "X社" in jimu.text


async def test_only_the_secretariat_broadcasts(runtime: Runtime) -> None:
    await programme(runtime)
    for user in ("a1", "expert1", "stranger"):
        convo = Convo(runtime, user)
        await convo.send("/notice all hello")
        assert "運営事務局のみ" in convo.text
        await convo.send("", choice="send", reply_to="notice:1")
        assert "運営事務局のみ" in convo.text
    assert await outbox(runtime) == []


@dataclass
class Outcomes:
    """A stand-in Sender answering per chat: ok, blocked (403), or 429."""

    by_chat: dict[str, str]
    platform: str = "console"
    sent: list[str] = field(default_factory=list)

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        outcome = self.by_chat.get(chat_id, "ok")
        if outcome == "blocked":
            raise Undeliverable("Forbidden: bot was blocked by the user")
        if outcome == "429":
            raise RetryLater("429 Too Many Requests", retry_after=30)
        self.sent.append(chat_id)
        return "m1"


async def test_status_counts_and_failures_with_their_reasons(runtime: Runtime, clock: Clock) -> None:
    await programme(runtime)
    notice_id = await send(runtime, "all")
    await deliver_due(runtime.sessions, Outcomes({"a2": "blocked", "b1": "429"}), clock=clock)
    async with runtime.sessions() as session:
        status = await notice_status(session, notice_id)
    assert status.counts == {"sent": 2, "failed": 1, "pending": 1}
    assert status.failures == [("a2 (console:a2)", "Forbidden: bot was blocked by the user")]
    jimu = Convo(runtime, "jimu")
    await jimu.send(f"/notice status {notice_id}")
    assert "送信済み 2・送信待ち 1・失敗 1" in jimu.text and "a2 (console:a2) — Forbidden" in jimu.text


async def test_a_notice_for_later_waits_and_can_be_cancelled(runtime: Runtime, clock: Clock) -> None:
    await programme(runtime)
    later = await send(runtime, "course:csirt", send_at=clock() + timedelta(hours=2))
    sender = Outcomes({})
    await deliver_due(runtime.sessions, sender, clock=clock)
    assert sender.sent == []
    clock.advance(hours=2)
    await deliver_due(runtime.sessions, sender, clock=clock)
    assert sorted(sender.sent) == ["a1", "a2"]

    cancelled = await send(runtime, "course:it-bcp", send_at=clock() + timedelta(days=1))
    async with runtime.sessions.begin() as session:
        assert await cancel_notice(session, cancelled) == 2
    clock.advance(days=2)
    await deliver_due(runtime.sessions, sender, clock=clock)
    assert sorted(sender.sent) == ["a1", "a2"]
    async with runtime.sessions() as session:
        assert (await notice_status(session, later)).counts == {"sent": 2}
        assert (await notice_status(session, cancelled)).counts == {"cancelled": 2}


@pytest.mark.slow
def test_notices_on_the_cli(run_cli) -> None:  # type: ignore[no-untyped-def]
    codes = {}
    for name, course in (("A社", "csirt"), ("B社", "it-bcp")):
        added = run_cli("company", "add", name, "--course", course)
        codes[name] = added.stdout.strip().splitlines()[-1]
    assert run_cli("console", "--as", "b_lead", stdin=f"/start {codes['B社']}\n").returncode == 0
    sent = run_cli("notice", "send", "--to", "course:it-bcp", "--text", "説明会の資料を送りました", "--at", "2099-12-01 09:00", "--yes")
    assert sent.stdout.strip() == (
        "notice 1 queued for 1 recipient(s) at 2099-12-01 09:00; follow it with: helpdesk notice status 1"
    ), sent.stderr
    status = run_cli("notice", "status", "1")
    assert "sent 0  pending 1  failed 0  cancelled 0  (total 1)" in status.stdout
    assert "1 unsent message(s) cancelled" in run_cli("notice", "cancel", "1").stdout
    empty = run_cli("notice", "send", "--to", "course:csirt", "--text", "hello", env={"HELPDESK_LANG": "en"})
    assert empty.returncode == 2 and empty.stderr.strip() == "error: Nobody registered matches course:csirt."
    bad = run_cli("notice", "send", "--to", "everyone", "--text", "hello", env={"HELPDESK_LANG": "en"})
    assert "use all, course:csirt, course:it-bcp or company:NAME" in bad.stderr
    missing = run_cli("notice", "status", "99", env={"HELPDESK_LANG": "en"})
    assert missing.returncode == 2 and missing.stderr.strip() == "error: There is no notice #99."


async def test_a_broadcast_typed_in_chat_keeps_its_text_as_typed(runtime: Runtime) -> None:
    # Full-width brackets and digits are the secretariat's wording: NFKC decides only the command.
    await programme(runtime)
    jimu = Convo(runtime, "jimu")
    await jimu.send("/notice course:csirt 【重要】１２月の会場（新宿）")
    await jimu.send("", choice="send", reply_to=jimu.replies[0].question_ref)
    await jimu.send('／notice　send --to company:B社 --text "Ｂ社の皆さまへ（年末）"')
    await jimu.send("", choice="send", reply_to=jimu.replies[0].question_ref)
    texts = sorted({r.message.text.split("\n", 1)[1] for r in await outbox(runtime)})
    assert texts == sorted(["Ｂ社の皆さまへ（年末）", "【重要】１２月の会場（新宿）"])
