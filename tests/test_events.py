"""Community events: the invitation with RSVP buttons to its audience, the capacity and the waiting
list, the RSVP deadline, the reminder to those who said yes, the attendee list, cancelling; in chat."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.runtime.core import Runtime
from bot.store.models import AuditEntry, Event
from scheduler.audience import Audience
from scheduler.events import EventSpec, add_event, attendees, cancel_event, list_events
from scheduler.reminders import sweep
from tests.calendar_setup import company, jst, outbox, person
from tests.conftest import Clock, Convo

AT = "2026-12-10 15:00"


async def people(runtime: Runtime) -> None:
    await company(runtime, "A社", "csirt", lead="a1", members=("a2", "a3"))
    await company(runtime, "B社", "it-bcp", lead="b1")
    await person(runtime, "jimu", role="secretariat")


async def add(runtime: Runtime, **spec: object) -> Event:
    values = {"kind": "seminar", "at": jst(AT), "place": "都内会場", "capacity": 2, "rsvp_deadline": jst("2026-12-03 17:00"), **spec}
    async with runtime.sessions.begin() as session:
        event, _ = await add_event(session, runtime.content, runtime.tz, EventSpec(**values), now=runtime.clock())  # type: ignore[arg-type]
        return event


async def rsvp(runtime: Runtime, user: str, event: Event, answer: str) -> str:
    convo = Convo(runtime, user)
    await convo.send("", choice=answer, reply_to=f"event:{event.id}")
    return convo.text


async def test_the_invitation_goes_to_the_audience_with_rsvp_buttons(runtime: Runtime) -> None:
    await people(runtime)
    event = await add(runtime, audience=Audience("course", "csirt"))
    assert event.title == "セキュリティセミナー"  # the kind's name from content
    rows = await outbox(runtime, f"event:{event.id}:r1:invite")
    assert sorted(r.chat_id for r in rows) == ["a1", "a2", "a3"]  # not B社 (it-bcp), not the secretariat
    message = rows[0].message
    assert [(c.value, c.label) for c in message.options] == [("yes", "参加"), ("no", "不参加")]
    assert message.question_ref == f"event:{event.id}"
    assert "定員: 2名（残り2名）" in message.text and "出欠の回答期限: 2026年12月3日（木）17:00" in message.text
    assert "参加同意書" in message.text


async def test_capacity_waiting_list_and_a_place_coming_free(runtime: Runtime) -> None:
    await people(runtime)
    event = await add(runtime)
    assert "参加で登録しました" in await rsvp(runtime, "a1", event, "yes")
    assert "参加で登録しました" in await rsvp(runtime, "a2", event, "yes")
    assert "キャンセル待ち（1番目）" in await rsvp(runtime, "a3", event, "yes")
    assert "キャンセル待ち（2番目）" in await rsvp(runtime, "b1", event, "yes")
    assert "キャンセル待ち（1番目）" in await rsvp(runtime, "a3", event, "yes")  # pressed again: same place
    async with runtime.sessions() as session:
        [(_, counts)] = await list_events(session)
    assert counts == {"yes": 2, "waitlist": 2}

    assert "不参加で登録しました" in await rsvp(runtime, "a2", event, "no")  # a seat comes free: a3 gets it
    async with runtime.sessions() as session:
        answers = {p.platform_user_id: answer for p, _, answer, _ in await attendees(session, event.id)}
    assert answers == {"a1": "yes", "a3": "yes", "b1": "waitlist", "a2": "no"}
    [promoted] = await outbox(runtime, f"event:{event.id}:promoted")
    assert promoted.chat_id == "a3" and "参加確定" in promoted.message.text


async def test_answers_after_the_deadline_are_refused(runtime: Runtime, clock: Clock) -> None:
    await people(runtime)
    event = await add(runtime)
    clock.now = jst("2026-12-03 17:01")
    assert "回答期限（2026年12月3日（木）17:00）を過ぎています" in await rsvp(runtime, "a1", event, "yes")
    clock.now = jst("2026-12-10 16:00")
    assert "終わっています" in await rsvp(runtime, "a1", event, "yes")


async def test_the_reminder_goes_to_those_who_said_yes(runtime: Runtime, clock: Clock) -> None:
    await people(runtime)
    event = await add(runtime, capacity=None)
    await rsvp(runtime, "a1", event, "yes")
    await rsvp(runtime, "b1", event, "yes")
    await rsvp(runtime, "a2", event, "no")
    clock.now = jst("2026-12-09 10:00")  # content: the day before at 10:00
    fired = (await sweep(runtime.sessions, runtime.content, runtime.tz, clock())).fired
    assert fired == {f"event:{event.id}:r1:d1": "sent"}
    rows = await outbox(runtime, f"event:{event.id}:r1:d1")
    assert sorted(r.chat_id for r in rows) == ["a1", "b1"]
    assert "リマインド" in rows[0].message.text and not rows[0].message.options


async def test_a_cancelled_event_tells_those_coming_and_sends_no_reminder(runtime: Runtime, clock: Clock) -> None:
    await people(runtime)
    event = await add(runtime, capacity=1)
    await rsvp(runtime, "a1", event, "yes")
    await rsvp(runtime, "a2", event, "yes")  # waiting
    await rsvp(runtime, "a3", event, "no")
    async with runtime.sessions.begin() as session:
        await cancel_event(session, runtime.content, runtime.tz, event.id, now=clock())
    rows = await outbox(runtime, f"event:{event.id}:r2:cancelled")
    assert sorted(r.chat_id for r in rows) == ["a1", "a2"]
    clock.now = jst("2026-12-09 10:00")
    assert (await sweep(runtime.sessions, runtime.content, runtime.tz, clock())).fired == {}
    assert "中止" in await rsvp(runtime, "a3", event, "yes")


async def test_events_in_chat(runtime: Runtime) -> None:
    await people(runtime)
    jimu, a1 = Convo(runtime, "jimu"), Convo(runtime, "a1")
    await jimu.send('/event add --kind networking --at "2026-12-10 18:00" --place "新宿" --capacity 30 --rsvp-by "2026-12-05 17:00"')
    assert "イベント #1「懇親会」を登録し、4人に案内を送ります" in jimu.text
    await a1.send("/events")
    [item] = a1.replies
    assert "懇親会" in item.text and "参加企業同士のネットワーキング" in item.text
    assert item.question_ref == "event:1" and [c.value for c in item.options] == ["yes", "no"]
    await a1.send("", choice="yes", reply_to=item.question_ref)
    await a1.send("/events")
    assert "あなたの回答: 参加" in a1.text
    await jimu.send("/event list")
    assert "#1 懇親会" in jimu.text and "参加 1/30" in jimu.text
    await jimu.send("/event attendees 1")
    assert "参加 1名" in jimu.text and "・参加: a1（A社）" in jimu.text
    await a1.send('/event add --kind seminar --at "2026-12-10 18:00"')
    assert "運営事務局のみ" in a1.text
    await jimu.send('/event add --kind party --at "2026-12-10 18:00"')
    assert "party" in jimu.text and "seminar, networking" in jimu.text
    await jimu.send('/event add --kind seminar --at "2026-12-10 18:00" --rsvp-by "2026-12-11 10:00"')
    assert "回答期限" in jimu.text
    await jimu.send("/event cancel 1")
    assert "中止" in jimu.text


async def test_the_promotion_notice_counts_the_seats_taken(runtime: Runtime) -> None:
    # Review finding: the notice rendered "定員: 2名（残り2名）" for a full event because the
    # taken count was left out and the capacity stood in for what is left.
    await people(runtime)
    event = await add(runtime)
    await rsvp(runtime, "a1", event, "yes")
    await rsvp(runtime, "a2", event, "yes")
    await rsvp(runtime, "a3", event, "yes")  # waiting
    await rsvp(runtime, "a2", event, "no")  # a3 gets the seat: the event is full again
    [promoted] = await outbox(runtime, f"event:{event.id}:promoted")
    assert "定員: 2名（残り0名）" in promoted.message.text
    await rsvp(runtime, "a3", event, "no")  # nobody waits: one seat stays free
    await rsvp(runtime, "a1", event, "no")
    a1 = Convo(runtime, "a1")
    await a1.send("/events")
    assert "定員: 2名（残り2名）" in a1.text


async def test_the_reminder_counts_the_seats_taken(runtime: Runtime, clock: Clock) -> None:
    await people(runtime)
    event = await add(runtime, rsvp_deadline=None)
    await rsvp(runtime, "a1", event, "yes")
    clock.now = jst("2026-12-09 10:00")
    await sweep(runtime.sessions, runtime.content, runtime.tz, clock())
    [reminder] = await outbox(runtime, f"event:{event.id}:r1:d1")
    assert "定員: 2名（残り1名）" in reminder.message.text


async def test_an_event_keeps_its_title_and_place_as_typed(runtime: Runtime) -> None:
    # Review finding: titles were NFKC-normalised when stored, 「（年末）」 became 「(年末)」.
    await people(runtime)
    jimu = Convo(runtime, "jimu")
    # The flag names are compared, so they are normalised: －－ｔｉｔｌｅ and a full-width space work.
    await jimu.send('/event add --kind seminar --at "2026-12-10 18:00"　－－ｔｉｔｌｅ "セキュリティセミナー（年末）" --place "新宿　第１会議室"')
    assert "「セキュリティセミナー（年末）」を登録し" in jimu.text
    [invite, *_] = await outbox(runtime, "event:1:r1:invite")
    assert "セキュリティセミナー（年末）" in invite.message.text and "会場: 新宿　第１会議室" in invite.message.text
    long_title = "あ" * 201
    await jimu.send(f'/event add --kind seminar --at "2026-12-10 18:00" --title "{long_title}"')
    assert "201" in jimu.text  # refused with its length, not cut short
    async with runtime.sessions() as session:
        assert [e.title for e, _ in await list_events(session)] == ["セキュリティセミナー（年末）"]


async def test_an_event_for_one_company_or_course_is_theirs_alone(runtime: Runtime) -> None:
    # Probe finding: an event sent to company:X or course:Y was listed to everyone, and anyone could
    # take its seats. Another company's event now answers as an event that does not exist.
    await people(runtime)
    await company(runtime, "C社", "csirt", lead="c1")
    for_a = await add(runtime, title="A社向け", audience=Audience("company", "A社"), capacity=1)
    for_csirt = await add(runtime, title="CSIRTコース向け", audience=Audience("course", "csirt"))
    for_all = await add(runtime, title="全体", audience=Audience("all"))

    async def listed(user: str) -> list[str]:
        convo = Convo(runtime, user)
        await convo.send("/events")
        return [reply.text.split("\n")[1] for reply in convo.replies]

    assert await listed("a1") == ["A社向け", "CSIRTコース向け", "全体"]
    assert await listed("c1") == ["CSIRTコース向け", "全体"]
    assert await listed("b1") == ["全体"]

    nowhere = await rsvp(runtime, "b1", Event(id=999), "yes")
    assert await rsvp(runtime, "b1", for_a, "yes") == nowhere
    assert await rsvp(runtime, "c1", for_a, "yes") == nowhere
    assert await rsvp(runtime, "b1", for_csirt, "no") == nowhere
    assert "参加で登録しました" in await rsvp(runtime, "a1", for_a, "yes")  # the seat was still free
    assert "参加で登録しました" in await rsvp(runtime, "c1", for_csirt, "yes")
    assert "参加で登録しました" in await rsvp(runtime, "b1", for_all, "yes")
    async with runtime.sessions() as session:
        taken = {event.title: dict(answers) for event, answers in await list_events(session)}
        refused = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "answer_event")))
    assert taken == {"A社向け": {"yes": 1}, "CSIRTコース向け": {"yes": 1}, "全体": {"yes": 1}}
    assert sorted((e.target, e.allowed) for e in refused) == sorted(
        [(f"event:{for_a.id}", False), (f"event:{for_a.id}", False), (f"event:{for_csirt.id}", False)]
    )

    jimu = Convo(runtime, "jimu")
    await jimu.send("/events")  # the secretariat sees every event
    assert len(jimu.replies) == 3


@pytest.mark.slow
def test_the_event_commands_on_the_cli_show_the_audience_and_keep_the_title(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("company", "add", "A社", "--course", "csirt").returncode == 0
    added = run_cli("event", "add", "--kind", "seminar", "--at", "2099-12-10 15:00", "--title", "セミナー（年末）", "--to", "company:A社")
    assert added.returncode == 0, added.stderr
    [line] = run_cli("event", "list").stdout.splitlines()
    fields = line.split("\t")
    assert fields[2] == "セミナー（年末）" and fields[-1] == "to company:A社"
