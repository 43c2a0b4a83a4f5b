"""Quiet reports: an open report of a level named in content/incident.yaml
(`quiet_reminder_desk_hours`) with no update for that many desk hours reminds its reporter and the
company's lead, once.

The notice's ref names the incident and the moment of its last update, so every sweep may look
again and the reminder is still queued once; an update moves that moment, and the report is quiet
again only after another full period. The sweep runs with the reminders' sync (scheduler/service.py)."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import Content
from bot.engine.messages import Outbound
from bot.engine.render import Speaker
from bot.incidents.followup import reporter_and_leads
from bot.incidents.hours import after_desk_hours
from bot.incidents.render import level_label
from bot.incidents.service import OPEN
from bot.store.models import Incident, Notice
from bot.store.outbox import enqueue

log = logging.getLogger(__name__)


def quiet_ref(incident: Incident) -> str:
    return f"incident:{incident.id}:quiet:{int(incident.updated_at.timestamp())}"


async def remind_quiet(
    sessions: async_sessionmaker[AsyncSession], content: Content, tz: ZoneInfo, now: datetime,
) -> int:
    """Queue the reminders now due; returns how many were queued."""
    config, programme = content.response.incident, content.response.programme
    if config is None or programme is None or not config.quiet_reminder_desk_hours:
        return 0
    hours = config.quiet_reminder_desk_hours
    queued = 0
    async with sessions.begin() as session:
        incidents = await session.scalars(
            select(Incident).where(Incident.status.in_(OPEN), Incident.severity.in_(list(hours)))
        )
        for incident in list(incidents):
            if now < after_desk_hours(incident.updated_at, hours[incident.severity], programme.desk, tz):
                continue
            ref = quiet_ref(incident)
            if await session.scalar(select(exists().where(Notice.ref == ref))):
                continue
            await _queue(session, content, tz, incident, ref, now)
            queued += 1
    if queued:
        log.info("quiet incident reminders queued: %d", queued)
    return queued


async def _queue(session: AsyncSession, content: Content, tz: ZoneInfo, incident: Incident, ref: str, now: datetime) -> None:
    since = incident.updated_at.astimezone(tz).strftime("%m/%d %H:%M")

    def render(lang: str) -> Outbound:
        sp = Speaker(lang, content.book, content.words, now.astimezone(tz).date())
        severity = level_label(content, incident.severity, sp)
        return Outbound(sp.say("incident.notice_quiet", number=incident.number, severity=severity, since=since), kind="notice")

    await enqueue(
        session, kind="incident_quiet", recipients=await reporter_and_leads(session, incident), render=render,
        now=now, ref=ref, audience=f"incident:{incident.number}", payload={"incident": incident.number},
    )
