"""Visits, events and notices as people read them, in their language (sentences from
content/messages/programme.yaml, facts from content/programme.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.content.loader import Content
from bot.content.models import VisitPlan
from bot.engine.messages import Choice, Outbound
from bot.store.models import Event, Visit
from scheduler.localtime import format_local

VISIT_REF = "visit"  # button refs "visit:<id>:<revision>", values ack / reschedule
EVENT_REF = "event"  # button refs "event:<id>", values yes / no
DRAFT_REF = "notice"  # button refs "notice:<draft id>", values send / cancel


@dataclass(frozen=True)
class Say:
    content: Content
    lang: str
    tz: ZoneInfo

    def __call__(self, key: str, **params: object) -> str:
        return self.content.book.say(key, self.lang, **params)

    def when(self, moment: datetime) -> str:
        return format_local(moment, self.tz, self.content.book, self.lang)

    @property
    def plan(self) -> VisitPlan:
        plan = self.content.response.programme.visits if self.content.response.programme else None
        if plan is None:
            raise LookupError("content/programme.yaml has no visits: plan")
        return plan


def visit_title(say: Say, number: int) -> str:
    planned = say.plan.visit(number)
    title = planned.title.get(say.lang) if planned else "?"
    return say("programme.visit_title", n=number, title=title)


def visit_lines(say: Say, visit: Visit, *, company: str | None = None, prepare: bool = True) -> list[str]:
    plan = say.plan
    lines = [visit_title(say, visit.number)]
    if company:
        lines.append(say("programme.visit_company", company=company))
    lines.append(say("programme.visit_when", when=say.when(visit.starts_at), minutes=visit.duration_minutes))
    mode = plan.mode(visit.mode)
    if mode is not None:
        lines.append(say("programme.visit_mode", mode=mode.label.get(say.lang)))
        if visit.place:
            lines.append(say("programme.visit_place", label=mode.place.get(say.lang), place=visit.place))
        else:
            lines.append(say("programme.visit_place_tbd", label=mode.place.get(say.lang)))
    if visit.expert_name:
        lines.append(say("programme.visit_expert", expert=visit.expert_name))
    planned = plan.visit(visit.number)
    if prepare and planned is not None:
        lines.append(say("programme.visit_covers", covers=planned.covers.get(say.lang)))
        lines.append(say("programme.visit_prepare", prepare=planned.prepare.get(say.lang)))
    return lines


def visit_notice(say: Say, visit: Visit, company: str, headline: str, *, buttons: bool = False, prepare: bool = True) -> Outbound:
    text = "\n".join([headline, *visit_lines(say, visit, company=company, prepare=prepare)])
    if not buttons:
        return Outbound(text, kind="notice")
    options = (Choice("ack", say("programme.button_ack")), Choice("reschedule", say("programme.button_reschedule")))
    return Outbound(text, kind="notice", options=options, question_ref=f"{VISIT_REF}:{visit.id}:{visit.revision}")


def event_lines(say: Say, event: Event, *, taken: int) -> list[str]:
    """`taken`: the seats answered yes now. Required, so no notice can show the capacity as what is left."""
    lines = [event.title, say("programme.event_when", when=say.when(event.starts_at), minutes=event.duration_minutes)]
    if event.place:
        lines.append(say("programme.event_place", place=event.place))
    catalogue = say.content.response.programme.events if say.content.response.programme else None
    kind = catalogue.kind(event.kind) if catalogue else None
    if kind is not None and kind.about is not None:
        lines.append(kind.about.get(say.lang))
    if event.capacity is not None:
        left = max(0, event.capacity - taken)
        lines.append(say("programme.event_capacity", capacity=event.capacity, left=left))
    if event.rsvp_deadline is not None:
        lines.append(say("programme.event_deadline", when=say.when(event.rsvp_deadline)))
    return lines


def event_notice(say: Say, event: Event, headline: str, *, rsvp: bool, taken: int, footer: str | None = None) -> Outbound:
    text = "\n".join([headline, *event_lines(say, event, taken=taken), *([footer] if footer else [])])
    if not rsvp:
        return Outbound(text, kind="notice")
    options = (Choice("yes", say("programme.button_yes")), Choice("no", say("programme.button_no")))
    return Outbound(text, kind="notice", options=options, question_ref=f"{EVENT_REF}:{event.id}")
