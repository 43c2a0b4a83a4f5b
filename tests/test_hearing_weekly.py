"""The weekly word to the lead while the company's sheet is not submitted (issue 18, point 9):
Mondays 10:00 JST by content, once a week, none close to visit 1 or after submission."""

from __future__ import annotations

from datetime import timedelta

from bot.runtime.core import Runtime
from bot.store import repo
from bot.store.models import Visit
from scheduler.hearing_reminders import remind_weekly
from tests.calendar_setup import company, jst, outbox
from tests.conftest import Convo

NAME = "株式会社サンプル"
MONDAY = "2026-12-07"  # a Monday


async def _started(runtime: Runtime) -> Convo:
    await company(runtime, NAME, lead="tanaka", members=("suzuki",))
    member = Convo(runtime, "suzuki")
    await member.send("/hearing")
    await member.send("50")  # one answer: the sheet is under way, far from submitted
    return Convo(runtime, "tanaka")


async def _remind(runtime: Runtime, when: str) -> int:
    return await remind_weekly(runtime.sessions, runtime.content, runtime.tz, jst(when))


async def _visit_1(runtime: Runtime, when: str) -> None:
    async with runtime.sessions.begin() as session:
        found = await repo.company_by_name(session, NAME)
        assert found is not None
        now = runtime.clock()
        session.add(Visit(
            company_id=found.id, number=1, starts_at=jst(when), duration_minutes=120, mode="onsite",
            status="scheduled", revision=1, scheduled_at=now, created_at=now, updated_at=now,
        ))


async def test_the_lead_hears_weekly_what_is_open(runtime: Runtime) -> None:
    await _started(runtime)
    assert await _remind(runtime, f"{MONDAY} 09:59") == 0  # not yet its time
    assert await _remind(runtime, f"{MONDAY} 10:00") == 1
    assert await _remind(runtime, f"{MONDAY} 15:00") == 0  # once a week
    assert await _remind(runtime, "2026-12-08 10:00") == 0  # not on another day
    (sent,) = await outbox(runtime, "sheet:")
    assert sent.chat_id == "tanaka"  # the lead, not the member who answered
    assert "57問中1問回答済み" in sent.message.text and "未回答 56問" in sent.message.text
    assert await _remind(runtime, "2026-12-14 10:05") == 1  # the next Monday


async def test_none_close_to_visit_1_or_after_submission(runtime: Runtime) -> None:
    lead = await _started(runtime)
    await _visit_1(runtime, "2026-12-09 14:00")  # two days and four hours after Monday 10:00
    assert await _remind(runtime, f"{MONDAY} 10:00") == 1
    assert await _remind(runtime, "2026-12-14 10:00") == 0  # visit 1 has begun by then

    await lead.send("/hearing submit")
    await lead.press("yes")
    assert "提出しました" in lead.text
    assert await _remind(runtime, "2026-12-21 10:00") == 0


async def test_none_within_the_quiet_days(runtime: Runtime) -> None:
    await _started(runtime)
    await _visit_1(runtime, "2026-12-08 14:00")  # the next day
    assert await _remind(runtime, f"{MONDAY} 10:00") == 0
    assert runtime.content.response.programme is not None
    quiet = runtime.content.response.programme.reminders.hearing_weekly
    assert quiet is not None and timedelta(days=quiet.quiet_days_before_visit) == timedelta(days=2)
