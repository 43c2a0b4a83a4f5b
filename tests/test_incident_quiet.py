"""Quiet reports: desk hours counted as content sets them, and an open 緊急/高 report with no update
for its time reminds its reporter and lead once, and not after an update."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.content.loader import Content
from bot.runtime.core import Runtime
from bot.incidents.hours import after_desk_hours
from bot.store.models import Incident, Notice, OutboxRow
from scheduler.service import SchedulerService
from tests.conftest import Clock
from tests.test_incident import OPEN_TUESDAY, member, secretariat_clerk, short_path

TOKYO = ZoneInfo("Asia/Tokyo")


def jst(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2026-11-24 10:00", 4, "2026-11-24 14:00"),  # inside one day
        ("2026-11-27 16:00", 4, "2026-11-30 12:00"),  # Friday 16:00: one hour, the weekend, three more
        ("2026-11-22 20:00", 4, "2026-11-24 13:00"),  # Sunday night; Monday 11/23 is 勤労感謝の日
        ("2026-11-24 10:00", 24, "2026-11-27 10:00"),  # 7 + 8 + 8 + 1 desk hours
        ("2026-11-24 18:30", 1, "2026-11-25 10:00"),  # after closing: counted from the next opening
    ],
)
def test_desk_hours_skip_nights_weekends_and_holidays(content: Content, start: str, hours: float, due: str) -> None:
    programme = content.response.programme
    assert programme is not None
    assert after_desk_hours(jst(start), hours, programme.desk, TOKYO) == jst(due)


async def quiet_reminders(runtime: Runtime) -> list[tuple[str, str]]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(Notice.payload, OutboxRow.chat_id).join(OutboxRow, OutboxRow.notice_id == Notice.id)
            .where(Notice.kind == "incident_quiet").order_by(OutboxRow.id)
        )
        return [(payload["incident"], chat) for payload, chat in rows]


async def test_a_quiet_high_report_reminds_its_reporter_and_lead_once_and_an_updated_one_stays_quiet(
    runtime: Runtime, clock: Clock,
) -> None:
    clock.now = OPEN_TUESDAY  # Tuesday 10:00 JST; a high report's time is 24 desk hours: Friday 10:00
    reporter = await member(runtime, "suzuki", role="member")
    await member(runtime, "lead1", role="lead")
    clerk = await secretariat_clerk(runtime)
    await short_path(reporter)  # INC-2026-0001, high
    await short_path(reporter, command="/incident new")  # INC-2026-0002, high
    service = SchedulerService(runtime.sessions, runtime.content, tz=runtime.tz, clock=clock)

    clock.now = OPEN_TUESDAY + timedelta(days=1)  # Wednesday 10:00: the secretariat follows up INC-2
    await clerk.send("/incident note INC-2026-0002 担当者と連絡が取れました")
    clock.now = OPEN_TUESDAY + timedelta(days=2, hours=7)  # Thursday 17:00: 23 desk hours
    await service.sync()
    assert await quiet_reminders(runtime) == []

    clock.now = OPEN_TUESDAY + timedelta(days=3)  # Friday 10:00: 24 desk hours for INC-1 only
    await service.sync()
    await service.sync()  # a second sweep queues nothing more
    assert await quiet_reminders(runtime) == [("INC-2026-0001", "suzuki"), ("INC-2026-0001", "lead1")]
    async with runtime.sessions() as session:
        text = await session.scalar(
            select(OutboxRow.payload).join(Notice, Notice.id == OutboxRow.notice_id).where(Notice.kind == "incident_quiet")
        )
    assert text is not None and "INC-2026-0001" in text["text"] and "11/24 10:00" in text["text"]


async def test_a_closed_or_low_report_is_never_reminded(runtime: Runtime, clock: Clock) -> None:
    clock.now = OPEN_TUESDAY
    reporter = await member(runtime, "suzuki", role="lead")
    await short_path(reporter)
    await reporter.send("/incident move INC-2026-0001 クローズ")
    await reporter.send("/incident new")  # a phishing mail that did nothing: low
    for answer in ["フィッシング（偽サイトでの入力・偽メール）", "偽メールが届いた", "業務への影響はない", "広がっていない"]:
        await reporter.send(answer)
    service = SchedulerService(runtime.sessions, runtime.content, tz=runtime.tz, clock=clock)
    clock.now = OPEN_TUESDAY + timedelta(days=14)
    await service.sync()
    async with runtime.sessions() as session:
        levels = list(await session.scalars(select(Incident.severity).order_by(Incident.id)))
    assert levels == ["high", "low"]
    assert await quiet_reminders(runtime) == []
