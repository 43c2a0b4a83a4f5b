"""Expert visits with a controllable clock: reminders at the offsets of content/programme.yaml, to
the company's people; moved and cancelled visits; reminders missed while the bot was down; the
buttons under a reminder; the secretariat's /visit commands and the participants' /visits."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.engine.messages import Outbound
from bot.runtime.core import Runtime
from bot.platforms.base import RetryLater
from bot.store import repo, sheets
from bot.store.models import AuditEntry, ExpertAssignment, Person, Visit
from scheduler.delivery import deliver_due
from scheduler.errors import ProgrammeError
from scheduler.plan import visit_reminders
from scheduler.reminders import sweep
from scheduler.visits import VisitSpec, add_visit, cancel_visit, list_visits, move_visit
from tests.calendar_setup import company, jst, notices, outbox, person
from tests.conftest import Clock, Convo

AT = "2026-12-03 14:00"  # a Thursday; the clock starts on Tuesday 2026-11-24 10:00 JST


async def a_company(runtime: Runtime) -> None:
    await company(runtime, "A社", "csirt", lead="tanaka", members=("suzuki",))


async def add(runtime: Runtime, number: int = 1, at: str = AT, *, mode: str = "onsite", place: str | None = "東京都千代田区丸の内1-1") -> Visit:
    async with runtime.sessions.begin() as session:
        return await add_visit(
            session, runtime.content, runtime.tz, VisitSpec("A社", number, jst(at), mode, place, "B"), now=runtime.clock(),
        )


async def sweep_at(runtime: Runtime, clock: Clock, when: str) -> dict[str, str]:
    clock.now = jst(when)
    return dict((await sweep(runtime.sessions, runtime.content, runtime.tz, clock())).fired)


async def test_reminders_fall_on_the_offsets_of_the_content(runtime: Runtime) -> None:
    await a_company(runtime)
    visit = await add(runtime)
    due = {r.key: r.due for r in visit_reminders(visit, runtime.content.response.programme, runtime.tz)}  # type: ignore[arg-type]
    assert due == {
        "d3": jst("2026-11-30 10:00"),  # three days before at 10:00 JST
        "d1": jst("2026-12-02 10:00"),  # the day before
        "h1": jst("2026-12-03 13:00"),  # one hour before
        "nudge": jst("2026-11-28 10:00"),  # hearing sheet, before visit 1 only
    }
    second = await add(runtime, 2, "2026-12-17 14:00")
    assert "nudge" not in {r.key for r in visit_reminders(second, runtime.content.response.programme, runtime.tz)}  # type: ignore[arg-type]


async def test_a_reminder_goes_once_to_the_company_at_its_time(runtime: Runtime, clock: Clock) -> None:
    await a_company(runtime)
    await company(runtime, "B社", "it-bcp", lead="yamada")
    visit = await add(runtime)
    scheduled = await outbox(runtime, f"visit:{visit.id}:r1:scheduled")
    assert sorted(r.chat_id for r in scheduled) == ["suzuki", "tanaka"]
    assert "日程が決まりました" in scheduled[0].message.text

    assert "visit:1:r1:d3" not in await sweep_at(runtime, clock, "2026-11-30 09:59")
    assert (await sweep_at(runtime, clock, "2026-11-30 10:00"))["visit:1:r1:d3"] == "sent"
    assert await sweep_at(runtime, clock, "2026-11-30 10:05") == {}  # nothing twice

    rows = await outbox(runtime, "visit:1:r1:d3")
    assert sorted(r.chat_id for r in rows) == ["suzuki", "tanaka"]  # A社's people, not B社's
    message = rows[0].message
    assert [c.value for c in message.options] == ["ack", "reschedule"]
    assert [c.label for c in message.options] == ["確認しました", "日程変更を相談したい"]
    assert message.question_ref == f"visit:{visit.id}:1"
    plan = runtime.content.response.programme.visits  # type: ignore[union-attr]
    assert plan.plan[0].prepare.ja in message.text  # what to prepare, from content
    assert "2026年12月3日（木）14:00" in message.text and "丸の内" in message.text


async def test_a_moved_visit_moves_its_reminders(runtime: Runtime, clock: Clock) -> None:
    await a_company(runtime)
    await add(runtime)
    await deliver(runtime, clock, Phone())  # the company was told the first date
    await sweep_at(runtime, clock, "2026-11-30 10:00")  # the 3-day reminder is queued, not yet sent
    clock.now = jst("2026-11-30 11:00")
    async with runtime.sessions.begin() as session:
        await move_visit(session, runtime.content, runtime.tz, "A社", 1, now=clock(), at=jst("2026-12-10 10:00"))

    assert {r.status for r in await outbox(runtime, "visit:1:r1:d3")} == {"cancelled"}
    moved, _ = await outbox(runtime, "visit:1:r2:moved")
    assert "変更前: 2026年12月3日（木）14:00" in moved.message.text and "2026年12月10日（木）10:00" in moved.message.text
    assert await sweep_at(runtime, clock, "2026-12-02 10:00") == {}  # the old date's day-before: nothing
    assert await sweep_at(runtime, clock, "2026-12-03 13:00") == {}
    assert (await sweep_at(runtime, clock, "2026-12-07 10:00"))["visit:1:r2:d3"] == "sent"
    assert (await sweep_at(runtime, clock, "2026-12-10 09:00"))["visit:1:r2:h1"] == "sent"
    assert not await notices(runtime, "visit:1:r1:d1") and not await notices(runtime, "visit:1:r1:h1")


async def test_a_cancelled_visit_sends_no_reminders(runtime: Runtime, clock: Clock) -> None:
    await a_company(runtime)
    await add(runtime)
    await deliver(runtime, clock, Phone())  # the company was told of the visit: it is told of the cancel
    async with runtime.sessions.begin() as session:
        await cancel_visit(session, runtime.content, runtime.tz, "A社", 1, now=clock())
    for when in ("2026-11-28 10:00", "2026-11-30 10:00", "2026-12-02 10:00", "2026-12-03 13:00"):
        assert await sweep_at(runtime, clock, when) == {}
    assert [n.kind for n in await notices(runtime, "visit:1:")] == ["visit_scheduled", "visit_cancelled"]
    async with runtime.sessions() as session:
        assert await list_visits(session) == []


async def test_a_visit_booked_late_gets_only_the_reminders_still_ahead(runtime: Runtime, clock: Clock) -> None:
    await a_company(runtime)
    clock.now = jst("2026-12-02 12:00")
    await add(runtime)
    assert await sweep_at(runtime, clock, "2026-12-02 12:01") == {}  # 3 days / day before: not applicable
    assert await sweep_at(runtime, clock, "2026-12-03 13:00") == {"visit:1:r1:h1": "sent"}


async def test_reminders_missed_while_down_are_sent_before_the_visit_and_dropped_after(
    runtime: Runtime, clock: Clock, caplog
) -> None:  # type: ignore[no-untyped-def]
    await a_company(runtime)
    await add(runtime, 1)
    await add(runtime, 2, "2026-12-03 18:00")
    # Down from before the first reminder until 14:30 on the day: visit 1 has started, visit 2 not.
    with caplog.at_level(logging.WARNING, logger="scheduler.reminders"):
        fired = await sweep_at(runtime, clock, "2026-12-03 14:30")
    assert fired["visit:1:r1:h1"] == "dropped" and fired["visit:1:r1:nudge"] == "dropped"
    assert "visit:1:r1:h1 dropped" in caplog.text
    # visit 2: only the latest reminder still due is sent; the older ones are superseded
    assert fired["visit:2:r1:d1"] == "sent"
    assert fired["visit:2:r1:d3"] == "dropped"
    assert not await outbox(runtime, "visit:1:r1:h1")
    [dropped] = await notices(runtime, "visit:1:r1:h1")
    assert "started" in dropped.payload["dropped"]
    assert await sweep_at(runtime, clock, "2026-12-03 14:31") == {}  # recorded: not logged again
    assert (await sweep_at(runtime, clock, "2026-12-03 17:00"))["visit:2:r1:h1"] == "sent"


async def test_the_hearing_nudge_only_when_the_sheet_is_not_finished(runtime: Runtime, clock: Clock) -> None:
    await a_company(runtime)
    await company(runtime, "B社", "it-bcp", lead="yamada")
    await add(runtime)
    async with runtime.sessions.begin() as session:
        await add_visit(session, runtime.content, runtime.tz, VisitSpec("B社", 1, jst(AT), "online", None), now=clock())
        yamada = await repo.person_by_platform(session, "console", "yamada")
        assert yamada is not None
        flow = runtime.content.hearing_flow("it-bcp")
        assert flow is not None
        # B社's shared sheet is submitted (a person's finished conversation no longer decides it)
        sheet = await sheets.sheet_for(session, yamada.company_id or 0, flow.id, clock())
        sheet.status, sheet.submitted_at = "submitted", clock()
    fired = await sweep_at(runtime, clock, "2026-11-28 10:00")
    assert fired == {"visit:1:r1:nudge": "sent", "visit:2:r1:nudge": "skipped"}
    [nudge, *_] = await outbox(runtime, "visit:1:r1:nudge")
    assert "/hearing" in nudge.message.text


async def test_the_buttons_under_a_reminder(runtime: Runtime, clock: Clock) -> None:
    await a_company(runtime)
    await person(runtime, "jimu", role="secretariat")
    visit = await add(runtime)
    await sweep_at(runtime, clock, "2026-11-30 10:00")
    [reminder] = [r.message for r in await outbox(runtime, "visit:1:r1:d3") if r.chat_id == "tanaka"]
    tanaka = Convo(runtime, "tanaka")

    await tanaka.send("", choice="ack", reply_to=reminder.question_ref)
    assert "確認を記録しました" in tanaka.text
    await tanaka.send("", choice="reschedule", reply_to=reminder.question_ref)
    assert "運営事務局に伝えました" in tanaka.text
    await tanaka.send("", choice="reschedule", reply_to=reminder.question_ref)  # pressed twice
    [request] = await outbox(runtime, f"visit:{visit.id}:r1:reschedule")
    assert request.chat_id == "jimu" and "tanaka" in request.message.text and "A社" in request.message.text
    async with runtime.sessions() as session:
        [row] = await list_visits(session)
    assert row.replies == {"reschedule": 1}  # tanaka's latest answer counts, once

    # after a move, the old reminder's buttons show the new schedule instead
    async with runtime.sessions.begin() as session:
        await move_visit(session, runtime.content, runtime.tz, "A社", 1, now=clock(), at=jst("2026-12-08 10:00"))
    await tanaka.send("", choice="ack", reply_to=reminder.question_ref)
    assert "日程が変わりました" in tanaka.text and "2026年12月8日" in tanaka.text
    # someone of another company cannot answer for A社
    await company(runtime, "B社", "it-bcp", lead="yamada")
    await Convo(runtime, "yamada").send("", choice="ack", reply_to=f"visit:{visit.id}:2")
    async with runtime.sessions() as session:
        [row] = await list_visits(session)
    assert row.replies == {}


async def test_the_secretariat_manages_visits_in_chat(runtime: Runtime, clock: Clock) -> None:
    await a_company(runtime)
    await person(runtime, "jimu", role="secretariat")
    jimu, tanaka = Convo(runtime, "jimu"), Convo(runtime, "tanaka")

    await jimu.send('/visit add A社 --no 2 --at "2026-12-10 10:00" --mode online --place https://meet.example.jp/abc --expert B')
    assert "訪問を登録しました" in jimu.text and "第2回 インシデント対応体制整備 ①" in jimu.text
    await jimu.send('/visit move A社 --no 2 --at "2026/12/11 15:00"')
    assert "2026年12月11日（金）15:00" in jimu.text
    await jimu.send("/visit list")
    assert "A社: ・第2回" in jimu.text
    await jimu.send("/visit cancel A社 --no 2")
    assert "中止" in jimu.text

    for command, expected in (
        ('/visit add A社 --no 7 --at "2026-12-10 10:00" --mode onsite', "1〜6"),
        ('/visit add A社 --no 1 --at "2026-11-01 10:00" --mode onsite', "過去"),
        ('/visit add A社 --no 1 --at "2026-12-10 10:00" --mode bike', "bike"),
        ('/visit add A社 --no 1 --at "2026-12-10 10:00" --mode online --place 会議室', "会議URL"),
        ('/visit add X社 --no 1 --at "2026-12-10 10:00" --mode onsite', "X社"),
        ('/visit add A社 --no 1 --at "tomorrow-ish" --mode onsite', "読み取れません"),
        ("/visit add A社", "使い方"),
    ):
        await jimu.send(command)
        assert jimu.replies[0].kind == "error" and expected in jimu.text, (command, jimu.text)

    await tanaka.send('/visit add A社 --no 1 --at "2026-12-10 10:00" --mode onsite')
    assert "運営事務局のみ" in tanaka.text
    async with runtime.sessions() as session:
        assert not list(await session.scalars(select(Visit).where(Visit.number == 1)))
        not_allowed = list(await session.scalars(select(AuditEntry).where(AuditEntry.allowed.is_(False))))
    failed = [e for e in not_allowed if (e.detail or {}).get("outcome") == "failed"]
    assert len(failed) == 7  # each bad /visit above: allowed to try, recorded as failed, with the reply
    assert "1〜6" in (failed[0].detail or {})["error"]
    assert [e.action for e in not_allowed if e not in failed] == ["manage_visits"]  # tanaka, refused


async def test_participants_see_their_own_company_visits_and_what_to_prepare(runtime: Runtime, clock: Clock) -> None:
    await a_company(runtime)
    await company(runtime, "B社", "it-bcp", lead="yamada")
    await add(runtime, 1)
    await add(runtime, 2, "2026-12-17 14:00", mode="online", place=None)
    suzuki, yamada = Convo(runtime, "suzuki"), Convo(runtime, "yamada")

    await suzuki.send("/visits")
    assert "A社 の専門家訪問" in suzuki.text
    assert "第1回 ヒアリング — 2026年12月3日（木）14:00（訪問）" in suzuki.text
    assert "第2回 インシデント対応体制整備 ① — 2026年12月17日（木）14:00（オンライン）" in suzuki.text
    assert "次回の訪問" in suzuki.text and "組織図" in suzuki.text
    clock.advance(days=10)  # after visit 1: the next one is visit 2, its meeting URL still to come
    await suzuki.send("/visits")
    assert "会議URL: 追って" in suzuki.text
    await yamada.send("/visits")
    assert "A社" not in yamada.text and "まだありません" in yamada.text
    stranger = Convo(runtime, "stranger")
    await stranger.send("/visits")
    assert "招待コード" in stranger.text


async def test_english_speakers_get_english_reminders(runtime: Runtime, clock: Clock) -> None:
    await company(runtime, "A社", "csirt")
    await person(runtime, "alice", role="lead", company="A社", language="en")
    await add(runtime)
    await sweep_at(runtime, clock, "2026-11-30 10:00")
    [reminder] = await outbox(runtime, "visit:1:r1:d3")
    assert reminder.message.text.startswith("[Reminder]") and "Visit 1: Hearing" in reminder.message.text
    assert "Thu 2026-12-03 14:00" in reminder.message.text
    assert [c.label for c in reminder.message.options] == ["Got it", "I need another date"]
    assert timedelta(0) <= clock() - reminder.not_before


async def expert(runtime: Runtime, user: str, company_name: str, *, platform: str = "console", name: str | None = None) -> Person:
    """A registered expert assigned to a company, as an expert invitation makes one."""
    found = await person(runtime, user, role="expert", platform=platform)
    async with runtime.sessions.begin() as session:
        owner = await repo.company_by_name(session, company_name)
        assert owner is not None
        session.add(ExpertAssignment(person_id=found.id, company_id=owner.id, created_at=runtime.clock()))
        if name is not None:
            (await session.get(Person, found.id)).display_name = name  # type: ignore[union-attr]
    return found


async def test_a_visit_expert_is_an_expert_of_that_company_not_a_name(runtime: Runtime, clock: Clock) -> None:
    # Probe finding: company A's expert with the same display name got company B's visit notices
    # and buttons. The expert is matched among those assigned to the visit's company, or is text.
    await a_company(runtime)
    await company(runtime, "B社", "it-bcp", lead="yamada")
    of_a = await expert(runtime, "sato_a", "A社", name="佐藤")
    async with runtime.sessions.begin() as session:
        visit_b = await add_visit(
            session, runtime.content, runtime.tz, VisitSpec("B社", 1, jst(AT), "onsite", "大手町", "佐藤"), now=clock(),
        )
    assert visit_b.expert_id is None and visit_b.expert_name == "佐藤"
    [scheduled] = {r.message.text for r in await outbox(runtime, f"visit:{visit_b.id}:r1:scheduled")}
    assert "佐藤" in scheduled  # shown on the invitation, as text
    assert {r.chat_id for r in await outbox(runtime, f"visit:{visit_b.id}:")} == {"yamada"}
    await sweep_at(runtime, clock, "2026-11-30 10:00")
    reminders = await outbox(runtime, f"visit:{visit_b.id}:r1:d3")
    assert {r.chat_id for r in reminders} == {"yamada"}
    sato = Convo(runtime, "sato_a")
    await sato.send("", choice="ack", reply_to=reminders[0].message.question_ref)
    assert sato.text == runtime.content.book.say("programme.visit_gone", "ja")
    await sato.send("/visits")
    assert "B社" not in sato.text

    # B社's own expert of that name is the one: notices, buttons and /visits
    of_b = await expert(runtime, "sato_b", "B社", platform="slack", name="佐藤")
    async with runtime.sessions.begin() as session:
        moved = await move_visit(session, runtime.content, runtime.tz, "B社", 1, now=clock(), expert="佐藤")
    assert moved.expert_id == of_b.id != of_a.id
    assert {r.chat_id for r in await outbox(runtime, f"visit:{visit_b.id}:r2:")} == {"yamada", "sato_b"}

    # two experts of B社 with that name: the secretariat is asked for the account
    second = await expert(runtime, "sato_b2", "B社", name="佐藤")
    with pytest.raises(ProgrammeError) as raised:
        async with runtime.sessions.begin() as session:
            await move_visit(session, runtime.content, runtime.tz, "B社", 1, now=clock(), expert="佐藤")
    assert "slack:sato_b" in raised.value.render(runtime.content.book, "en") and "console:sato_b2" in raised.value.render(runtime.content.book, "en")
    async with runtime.sessions.begin() as session:
        moved = await move_visit(session, runtime.content, runtime.tz, "B社", 1, now=clock(), expert="sato_b2")
    assert moved.expert_id == second.id and moved.expert_name == "佐藤"  # their name, not the account


@dataclass
class Phone:
    """A console 'platform' that delivers to everyone but the chats it is told are unreachable."""

    unreachable: set[str] = field(default_factory=set)
    platform: str = "console"
    got: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        if chat_id in self.unreachable:
            raise RetryLater("503 Service Unavailable")
        self.got.append((chat_id, message.text.split("\n")[0]))
        return str(len(self.got))


async def deliver(runtime: Runtime, clock: Clock, phone: Phone) -> None:
    await deliver_due(runtime.sessions, phone, clock=clock)


async def test_a_visit_notice_superseded_before_delivery_is_not_sent(runtime: Runtime, clock: Clock) -> None:
    # Review finding: "cancelled" arrived for a visit never announced, and "moved (変更前: …)" named a
    # date nobody had been told. Each person hears of a change to what they were told, or nothing.
    await a_company(runtime)  # tanaka, suzuki
    phone = Phone({"suzuki"})  # suzuki's deliveries wait (the platform answers 503)
    await add(runtime)  # 12/3 14:00
    await deliver(runtime, clock, phone)
    assert phone.got == [("tanaka", "【専門家訪問の日程が決まりました】")]

    async with runtime.sessions.begin() as session:
        await move_visit(session, runtime.content, runtime.tz, "A社", 1, now=clock(), at=jst("2026-12-08 10:00"))
        await move_visit(session, runtime.content, runtime.tz, "A社", 1, now=clock(), at=jst("2026-12-10 10:00"))
    # nothing of the 12/8 date went out; suzuki's 'scheduled' for 12/3 is withdrawn
    assert {r.status for r in await outbox(runtime, "visit:1:r1:")} == {"sent", "cancelled"}
    assert {r.status for r in await outbox(runtime, "visit:1:r2:")} == {"cancelled"}
    phone.unreachable.clear()
    await deliver(runtime, clock, phone)
    told = {chat: text for chat, text in phone.got[1:]}
    assert told == {
        "tanaka": "【専門家訪問の日程が変更されました】（変更前: 2026年12月3日（木）14:00）",  # the date he knows
        "suzuki": "【専門家訪問の日程が決まりました】",  # never told a date: this is the first
    }

    # a visit whose announcement never went out is cancelled without a word
    phone.unreachable.update({"tanaka", "suzuki"})
    async with runtime.sessions.begin() as session:
        await add_visit(session, runtime.content, runtime.tz, VisitSpec("A社", 2, jst("2026-12-17 14:00"), "onsite"), now=clock())
        await cancel_visit(session, runtime.content, runtime.tz, "A社", 2, now=clock())
    phone.unreachable.clear()
    before = len(phone.got)
    await deliver(runtime, clock, phone)
    assert phone.got[before:] == []
    assert [n.kind for n in await notices(runtime, "visit:2:")] == ["visit_scheduled"]

    # a cancel after the announcement reached someone goes to those it reached
    async with runtime.sessions.begin() as session:
        await cancel_visit(session, runtime.content, runtime.tz, "A社", 1, now=clock())
    await deliver(runtime, clock, phone)
    assert sorted(phone.got[before:]) == [("suzuki", "【専門家訪問は中止になりました】運営事務局から改めてご連絡します。"),
                                          ("tanaka", "【専門家訪問は中止になりました】運営事務局から改めてご連絡します。")]
