"""/events: the coming community events with RSVP buttons (参加 / 不参加); /event …: the secretariat's
event commands; and the RSVP buttons themselves.

  /events                                    the coming events, each with your answer and buttons
  /event add --kind seminar|networking --at "2026-12-10 15:00" [--title …] [--place …]
             [--capacity N] [--rsvp-by "2026-12-03 17:00"] [--to all|course:csirt|…]
  /event list                                 with the number of yes / waiting / no
  /event attendees ID                         who comes (yes), who waits, who said no
  /event cancel ID
"""

from __future__ import annotations

from bot.turn.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.engine.parse import words_after
from bot.handlers.secretariat import BadArgs, command_args, managed, may_manage
from bot.policy import audit
from bot.store.models import Rsvp
from scheduler import events as service
from scheduler.audience import parse_audience
from scheduler.errors import ProgrammeError
from scheduler.localtime import parse_local
from scheduler.render import EVENT_REF, Say, event_notice

REF_PREFIX = EVENT_REF
FLAGS = {"kind", "at", "title", "place", "capacity", "rsvp-by", "to"}


def _error(ctx: Ctx, key: str, **params: object) -> list[Outbound]:
    return [Outbound(ctx.say(key, **params), kind="error")]


async def handle_event(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    sub, _, rest = args.strip().partition(" ")
    sub = sub.lower()
    if sub in ("", "list") and not may_manage(ctx, "manage_events"):
        return await _coming(ctx)

    async def manage() -> list[Outbound]:
        try:
            if sub == "add":
                return await _add(ctx, words_after(inbound.text, 2))
            if sub in ("", "list"):
                return await _list(ctx)
            if sub in ("attendees", "cancel") and rest.strip().isdecimal():
                if sub == "attendees":
                    return await _attendees(ctx, int(rest))
                event = await service.cancel_event(ctx.session, ctx.content, ctx.tz, int(rest), now=ctx.now)
                return [Outbound(ctx.say("programme.event_cancel_done", title=event.title))]
        except BadArgs:
            pass
        except ProgrammeError as exc:
            return [Outbound(exc.render(ctx.content.book, ctx.lang), kind="error")]
        return _error(ctx, "programme.event_usage")

    replies = await managed(ctx, "manage_events", manage)
    return replies if replies is not None else _error(ctx, "programme.secretariat_only")


async def handle_events(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    return await _coming(ctx)


async def _add(ctx: Ctx, rest: str) -> list[Outbound]:
    positional, flags = command_args(rest, FLAGS)
    if positional or "kind" not in flags or "at" not in flags:
        raise BadArgs(rest)
    today = ctx.now.astimezone(ctx.tz).date()
    capacity = flags.get("capacity")
    if capacity is not None and not capacity.isdecimal():
        raise ProgrammeError("programme.bad_capacity")
    spec = service.EventSpec(
        kind=flags["kind"].lower(), at=parse_local(flags["at"], ctx.tz, words=ctx.content.words, today=today),
        title=flags.get("title"), place=flags.get("place"), capacity=int(capacity) if capacity else None,
        rsvp_deadline=parse_local(flags["rsvp-by"], ctx.tz, words=ctx.content.words, today=today) if "rsvp-by" in flags else None,
        audience=parse_audience(flags.get("to", "all")),
    )
    event, invited = await service.add_event(ctx.session, ctx.content, ctx.tz, spec, now=ctx.now)
    return [Outbound(ctx.say("programme.event_add_done", id=event.id, title=event.title, invited=invited))]


async def _list(ctx: Ctx) -> list[Outbound]:
    say = Say(ctx.content, ctx.lang, ctx.tz)
    rows = await service.list_events(ctx.session, since=ctx.now)
    if not rows:
        return [Outbound(ctx.say("programme.events_none"))]
    lines = [ctx.say("programme.events_header")]
    for event, answers in rows:
        lines.append(ctx.say(
            "programme.events_line", id=event.id, title=event.title, when=say.when(event.starts_at),
            yes=answers["yes"], capacity=event.capacity if event.capacity is not None else "-",
            waitlist=answers["waitlist"], no=answers["no"],
        ))
    return [Outbound("\n".join(lines))]


async def _attendees(ctx: Ctx, event_id: int) -> list[Outbound]:
    event = await service.get_event(ctx.session, event_id)
    rows = await service.attendees(ctx.session, event_id)
    lines = [ctx.say("programme.attendees_header", title=event.title, count=sum(1 for r in rows if r[2] == "yes"))]
    for person, company, answer, _ in rows:
        lines.append(ctx.say(
            "programme.attendees_line", answer=ctx.say(f"programme.rsvp_{answer}_label"),
            name=person.display_name or person.platform_user_id, company=company or "-",
        ))
    return [Outbound("\n".join(lines))]


async def _coming(ctx: Ctx) -> list[Outbound]:
    if ctx.person.role is None:
        return _error(ctx, "programme.not_registered")
    say = Say(ctx.content, ctx.lang, ctx.tz)
    rows = await service.list_events(ctx.session, since=ctx.now, for_person=ctx.person)
    if not rows:
        return [Outbound(ctx.say("programme.events_none"))]
    replies = []
    for event, answers in rows:
        mine = await ctx.session.get(Rsvp, (event.id, ctx.person.id))
        footer = ctx.say("programme.rsvp_yours", answer=ctx.say(f"programme.rsvp_{mine.answer}_label")) if mine else None
        replies.append(event_notice(say, event, ctx.say("programme.events_item"), rsvp=True, taken=answers["yes"], footer=footer))
    return replies


async def handle_press(ctx: Ctx, inbound: Inbound, rest: str) -> list[Outbound]:
    """yes or no, the RSVP buttons under an event notice "event:<id>"."""
    if ctx.person.role is None:
        return _error(ctx, "programme.not_registered")
    answer = inbound.choice or ""
    if not rest.isdecimal() or answer not in ("yes", "no"):
        return _error(ctx, "flow.stale_press")
    result = await service.rsvp(ctx.session, ctx.content, ctx.tz, int(rest), ctx.person, answer, now=ctx.now)  # type: ignore[arg-type]
    say = Say(ctx.content, ctx.lang, ctx.tz)
    if result.outcome == "refused":
        audit(ctx.session, ctx.actor, "answer_event", ctx.now, allowed=False, target=f"event:{rest}",
              detail={"reason": "not in the event's audience", "answer": answer})
    if result.event is None or result.outcome in ("gone", "refused"):
        return _error(ctx, "programme.event_gone")
    event = result.event
    if result.outcome == "closed":
        assert event.rsvp_deadline is not None
        return _error(ctx, "programme.rsvp_closed", when=say.when(event.rsvp_deadline))
    if result.outcome == "waitlist":
        return [Outbound(ctx.say("programme.rsvp_waitlist", title=event.title, position=result.position))]
    return [Outbound(ctx.say(f"programme.rsvp_{result.outcome}", title=event.title, when=say.when(event.starts_at)))]
