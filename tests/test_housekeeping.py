"""Old de-duplication keys, Telegram keyboards, link codes, finished deliveries and audit entries are
forgotten after the time content gives each; recent ones and pending deliveries are kept; the
scheduling process does it on start and every few hours."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.runtime.core import Runtime
from bot.store import repo
from bot.content.models import Retention
from bot.store.housekeeping import forget_old
from bot.store.models import AuditEntry, CallbackKey, LinkCode, Notice, OutboxRow, ProcessedEvent
from scheduler.service import SchedulerService
from tests.conftest import Clock

MINUTE = timedelta(minutes=1)
RETENTION = Retention()
EVENT_KEYS_KEPT = timedelta(days=RETENTION.event_keys_days)
KEYBOARDS_KEPT = timedelta(days=RETENTION.keyboards_days)


async def seed(runtime: Runtime, now: datetime) -> None:
    """Two rows of each kind: one a minute past what is kept, one a minute short of it."""
    async with runtime.sessions.begin() as session:
        for event_id, age in (("old", EVENT_KEYS_KEPT + MINUTE), ("recent", EVENT_KEYS_KEPT - MINUTE)):
            assert await repo.claim_event(session, "telegram", event_id, now - age)
        for key, age in (("oldkey", KEYBOARDS_KEPT + MINUTE), ("recentkey", KEYBOARDS_KEPT - MINUTE)):
            session.add(CallbackKey(key=key, payload={"chat": "1"}, created_at=now - age))


async def left(runtime: Runtime) -> tuple[list[str], list[str]]:
    async with runtime.sessions() as session:
        events = list(await session.scalars(select(ProcessedEvent.event_id).order_by(ProcessedEvent.event_id)))
        keys = list(await session.scalars(select(CallbackKey.key).order_by(CallbackKey.key)))
    return events, keys


async def test_only_what_is_past_its_time_is_forgotten(runtime: Runtime, clock: Clock) -> None:
    await seed(runtime, clock.now)
    async with runtime.sessions.begin() as session:
        forgotten = await forget_old(session, clock.now, RETENTION)
    assert (forgotten.event_keys, forgotten.keyboards) == (1, 1)
    assert await left(runtime) == (["recent"], ["recentkey"])
    async with runtime.sessions.begin() as session:
        assert not await repo.claim_event(session, "telegram", "recent", clock.now)  # still a duplicate
        assert await repo.claim_event(session, "telegram", "old", clock.now)  # long past any redelivery


async def test_the_scheduler_tidies_up_when_it_starts(runtime: Runtime, clock: Clock) -> None:
    await seed(runtime, clock.now)
    service = SchedulerService(runtime.sessions, runtime.content, tz=runtime.tz, clock=clock)
    try:
        await service.start()
        for _ in range(100):
            if await left(runtime) == (["recent"], ["recentkey"]):
                break
            await asyncio.sleep(0.05)
        assert await left(runtime) == (["recent"], ["recentkey"])
        job = service.scheduler.get_job("helpdesk:housekeeping")
        assert job is not None and job.trigger.interval == timedelta(hours=6)
    finally:
        await service.stop()


async def test_link_codes_deliveries_and_audit_entries_go_after_their_time(runtime: Runtime, clock: Clock) -> None:
    retention = Retention(link_codes_days=30, outbox_days=180, audit_days=730)
    now = clock.now
    day = timedelta(days=1)
    async with runtime.sessions.begin() as session:
        person, _ = await repo.person_arriving(session, "console", "tanaka", "tanaka", None, now)
        session.add_all([
            LinkCode(code="OLDCODE", person_id=person.id, expires_at=now - 31 * day),
            LinkCode(code="NEWCODE", person_id=person.id, expires_at=now - 29 * day),
            AuditEntry(at=now - 731 * day, actor_label="cli:old", action="export", allowed=True),
            AuditEntry(at=now - 729 * day, actor_label="cli:new", action="export", allowed=True),
        ])
        notice = Notice(ref="housekeeping-test", kind="broadcast", payload={"text": "x"})
        session.add(notice)
        await session.flush()
        for chat, status, age in (("sent-old", "sent", 181), ("failed-old", "failed", 181), ("pending-old", "pending", 400), ("sent-new", "sent", 179)):
            session.add(OutboxRow(notice_id=notice.id, platform="console", chat_id=chat, payload={"text": "x"}, status=status, created_at=now - age * day))
    async with runtime.sessions.begin() as session:
        forgotten = await forget_old(session, now, retention)
    assert (forgotten.link_codes, forgotten.deliveries, forgotten.audit_entries) == (1, 2, 1)
    async with runtime.sessions() as session:
        assert list(await session.scalars(select(LinkCode.code))) == ["NEWCODE"]
        assert list(await session.scalars(select(AuditEntry.actor_label))) == ["cli:new"]
        # a notice still owed to someone is never dropped, however old
        assert sorted(await session.scalars(select(OutboxRow.chat_id))) == ["pending-old", "sent-new"]


def test_retention_comes_from_content(content) -> None:  # type: ignore[no-untyped-def]
    programme = content.response.programme
    assert programme is not None and programme.retention.audit_days == 730 and programme.retention.source
