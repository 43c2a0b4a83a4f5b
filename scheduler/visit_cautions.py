"""What to ask the secretariat before booking a visit: a start on a weekend, on a Japanese public
holiday (jpholiday) or outside the usual hours of content/programme.yaml, and an expert who is
booked at another company within two hours. Cautions, not refusals: a visit on a Saturday may be
what the company asked for, so the CLI asks (or takes --yes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.models import VisitPlan
from bot.engine.i18n import MessageBook
from bot.engine.parse import word_key
from bot.store.models import Company, Visit
from scheduler.localtime import format_local

# Two visits of one expert closer than this cannot both be kept (a visit is about two hours).
EXPERT_GAP = timedelta(hours=2)


@dataclass(frozen=True)
class Caution:
    key: str  # a message of content/messages/programme.yaml
    params: dict[str, object] = field(default_factory=dict)

    def render(self, book: MessageBook, lang: str) -> str:
        return book.say(self.key, lang, **self.params)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def time_cautions(at: datetime, plan: VisitPlan, tz: ZoneInfo, book: MessageBook, lang: str) -> list[Caution]:
    local = at.astimezone(tz)
    when = format_local(at, tz, book, lang)
    found = []
    if local.weekday() >= 5:
        found.append(Caution("programme.caution_weekend", {"when": when}))
    holiday = jpholiday.is_holiday_name(local.date())
    if holiday:
        found.append(Caution("programme.caution_holiday", {"when": when, "holiday": holiday}))
    hours = plan.usual_hours
    if hours is not None and not _clock(hours.opens) <= local.time() < _clock(hours.closes):
        found.append(Caution("programme.caution_hours", {"when": when, "opens": hours.opens, "closes": hours.closes}))
    return found


async def expert_cautions(
    session: AsyncSession, at: datetime, expert: str | None, company_id: int, tz: ZoneInfo, book: MessageBook, lang: str,
) -> list[Caution]:
    """Scheduled visits of the same expert (by name as typed, compared like every typed word, or by
    account) at another company starting within EXPERT_GAP of `at`."""
    if not expert or not word_key(expert):
        return []
    wanted = word_key(expert)
    rows = await session.execute(
        select(Visit, Company.name).join(Company, Company.id == Visit.company_id).where(
            Visit.status == "scheduled", Visit.company_id != company_id,
            Visit.starts_at > at - EXPERT_GAP, Visit.starts_at < at + EXPERT_GAP,
        ).order_by(Visit.starts_at)
    )
    return [
        Caution("programme.caution_expert_busy", {
            "expert": expert, "company": name, "n": visit.number, "when": format_local(visit.starts_at, tz, book, lang),
        })
        for visit, name in rows.all()
        if visit.expert_name and word_key(visit.expert_name) == wanted
    ]


async def booking_cautions(
    session: AsyncSession, start: datetime, expert: str | None, company_id: int, plan: VisitPlan, tz: ZoneInfo,
    book: MessageBook, lang: str, *, times: bool = True,
) -> list[Caution]:
    """Everything to ask about before booking or moving a visit (the CLI and the web desk ask the
    same): the time's cautions when the time is new, and the expert's other bookings."""
    found = time_cautions(start, plan, tz, book, lang) if times else []
    return found + await expert_cautions(session, start, expert, company_id, tz, book, lang)
