"""Forgetting what only mattered for a while: inbound de-duplication keys, Telegram keyboards,
/link codes, finished deliveries, old audit entries and the intake's misses (people's own words,
kept only as long as the secretariat needs to learn from them), each after the time
content/programme.yaml (`retention:`) gives it.

Every inbound message leaves a processed_events row and every Telegram keyboard a callback_keys row;
every notice leaves outbox rows and every read or refusal an audit row. Nothing else deletes them
(a keyboard's row goes when it is used, bot/platforms/telegram/presses.py), so without this they
grow for as long as the bot runs. The scheduling process runs `forget_old` every few hours
(scheduler/service.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.models import Retention
from bot.store.core import rows_matched
from bot.store.models import AuditEntry, CallbackKey, IntakeMiss, LinkCode, OutboxClaim, OutboxRow, ProcessedEvent

FINISHED = ("sent", "failed")  # a pending or sending row is a notice still owed to someone


@dataclass(frozen=True)
class Forgotten:
    event_keys: int
    keyboards: int
    link_codes: int = 0
    deliveries: int = 0
    audit_entries: int = 0
    misses: int = 0


async def forget_old(session: AsyncSession, now: datetime, retention: Retention) -> Forgotten:
    def before(days: int) -> datetime:
        return now - timedelta(days=days)

    async def count(statement: Any) -> int:
        return rows_matched(await session.execute(statement))

    old_deliveries = (OutboxRow.status.in_(FINISHED)) & (OutboxRow.created_at < before(retention.outbox_days))
    await session.execute(delete(OutboxClaim).where(OutboxClaim.outbox_id.in_(
        OutboxRow.__table__.select().with_only_columns(OutboxRow.id).where(old_deliveries).scalar_subquery()
    )))
    return Forgotten(
        event_keys=await count(delete(ProcessedEvent).where(ProcessedEvent.received_at < before(retention.event_keys_days))),
        keyboards=await count(delete(CallbackKey).where(CallbackKey.created_at < before(retention.keyboards_days))),
        link_codes=await count(delete(LinkCode).where(LinkCode.expires_at < before(retention.link_codes_days))),
        deliveries=await count(delete(OutboxRow).where(old_deliveries)),
        audit_entries=await count(delete(AuditEntry).where(AuditEntry.at < before(retention.audit_days))),
        misses=await count(delete(IntakeMiss).where(IntakeMiss.created_at < before(retention.intake_misses_days))),
    )
