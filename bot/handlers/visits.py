"""/visits: the company's expert visits; /visit …: the secretariat's visit commands; and the buttons
under a visit reminder (確認しました / 日程変更を相談したい).

  /visits                            your company's visits (experts: their companies'; the
                                     secretariat: the coming ones of every company)
  /visit add COMPANY --no N --at "2026-12-03 14:00" --mode onsite|online [--place …] [--expert …]
  /visit move COMPANY --no N [--at …] [--mode …] [--place …] [--expert …]
  /visit cancel COMPANY --no N
  /visit list [--company NAME]
"""

from __future__ import annotations

from sqlalchemy import select

from bot.turn.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.handlers.secretariat import BadArgs, command_args, managed, may_manage
from bot.store import repo
from bot.store.models import ExpertAssignment, Visit
from scheduler import visits as service
from scheduler.audience import secretariat
from scheduler.errors import ProgrammeError
from scheduler.localtime import parse_local
from scheduler.notices import queue_notice
from scheduler.render import VISIT_REF, Say, visit_lines, visit_title

REF_PREFIX = VISIT_REF
FLAGS = {"no", "at", "mode", "place", "expert", "company"}
SECRETARIAT_LIST = 30  # visits shown to the secretariat at once


def _error(ctx: Ctx, key: str, **params: object) -> list[Outbound]:
    return [Outbound(ctx.say(key, **params), kind="error")]


async def handle_visit(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    sub, _, rest = args.strip().partition(" ")
    sub = sub.lower()
    if sub in ("add", "move", "cancel"):
        async def change() -> list[Outbound]:
            try:
                return await _change(ctx, sub, rest)
            except BadArgs:
                return _error(ctx, "programme.visit_usage")
            except ProgrammeError as exc:
                return [Outbound(exc.render(ctx.content.book, ctx.lang), kind="error")]

        replies = await managed(ctx, "manage_visits", change)
        return replies if replies is not None else _error(ctx, "programme.secretariat_only")
    if sub in ("", "list"):
        try:
            _, flags = command_args(rest, {"company"})
        except BadArgs:
            return _error(ctx, "programme.visit_usage")
        return await _list(ctx, flags.get("company"))
    return _error(ctx, "programme.visit_usage")


async def handle_visits(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    return await handle_visit(ctx, inbound, "list " + args if args.strip() else "")


async def _change(ctx: Ctx, sub: str, rest: str) -> list[Outbound]:
    positional, flags = command_args(rest, FLAGS - {"company"})
    if len(positional) != 1 or not flags.get("no", "").isdecimal():
        raise BadArgs(rest)
    company, number = positional[0], int(flags["no"])
    today = ctx.now.astimezone(ctx.tz).date()
    at = parse_local(flags["at"], ctx.tz, words=ctx.content.words, today=today) if "at" in flags else None
    if sub == "add":
        if at is None or "mode" not in flags:
            raise BadArgs(rest)
        spec = service.VisitSpec(company, number, at, flags["mode"], flags.get("place"), flags.get("expert"))
        visit = await service.add_visit(ctx.session, ctx.content, ctx.tz, spec, now=ctx.now)
    elif sub == "move":
        visit = await service.move_visit(
            ctx.session, ctx.content, ctx.tz, company, number, now=ctx.now, at=at, mode=flags.get("mode"),
            place=flags.get("place"), expert=flags.get("expert"),
        )
    else:
        visit = await service.cancel_visit(ctx.session, ctx.content, ctx.tz, company, number, now=ctx.now)
    say = Say(ctx.content, ctx.lang, ctx.tz)
    found = await repo.company_by_id(ctx.session, visit.company_id)
    lines = visit_lines(say, visit, company=found.name if found else company, prepare=False)
    return [Outbound("\n".join([ctx.say(f"programme.visit_{sub}_done"), *lines]))]


async def _list(ctx: Ctx, company_name: str | None) -> list[Outbound]:
    say = Say(ctx.content, ctx.lang, ctx.tz)
    person = ctx.person
    if may_manage(ctx, "manage_visits"):
        try:
            company = await service.company_named(ctx.session, company_name) if company_name else None
        except ProgrammeError as exc:
            return [Outbound(exc.render(ctx.content.book, ctx.lang), kind="error")]
        rows = await service.list_visits(
            ctx.session, company_id=company.id if company else None,
            since=None if company else ctx.now, limit=None if company else SECRETARIAT_LIST,
        )
        header = ctx.say("programme.visits_header_all") if company is None else ctx.say("programme.visits_header", company=company.name)
        return [Outbound("\n".join([header, *(_line(say, row, with_company=True, replies=True) for row in rows)]) if rows else ctx.say("programme.visits_none"))]
    if person.role == "expert":
        assigned = list(await ctx.session.scalars(select(ExpertAssignment.company_id).where(ExpertAssignment.person_id == person.id)))
        # The companies they are assigned to, and no other: a visit's expert is one of those.
        rows = await service.list_visits(ctx.session, company_ids=assigned, since=ctx.now)
        if not rows:
            return [Outbound(ctx.say("programme.visits_none"))]
        return [Outbound("\n".join([ctx.say("programme.visits_header_all"), *(_line(say, row, with_company=True) for row in rows)]))]
    if person.company_id is None:
        return _error(ctx, "programme.not_registered")
    rows = await service.list_visits(ctx.session, company_id=person.company_id)
    if not rows:
        return [Outbound(ctx.say("programme.visits_none"))]
    lines = [ctx.say("programme.visits_header", company=rows[0].company.name)]
    lines += [_line(say, row) for row in rows]
    upcoming = next((row for row in rows if row.visit.starts_at > ctx.now), None)
    replies = [Outbound("\n".join(lines))]
    if upcoming is not None:
        detail = visit_lines(say, upcoming.visit, prepare=True)
        replies.append(Outbound("\n".join([ctx.say("programme.visits_next"), *detail])))
    return replies


def _line(say: Say, row: service.VisitRow, *, with_company: bool = False, replies: bool = False) -> str:
    plan = say.plan
    mode = plan.mode(row.visit.mode)
    text = say(
        "programme.visits_line", title=visit_title(say, row.visit.number), when=say.when(row.visit.starts_at),
        mode=mode.label.get(say.lang) if mode else row.visit.mode,
    )
    if with_company:
        text = f"{row.company.name}: {text}"
    if replies and row.replies:
        text += " " + say("programme.visits_replies", ack=row.replies["ack"], reschedule=row.replies["reschedule"])
    return text


async def handle_press(ctx: Ctx, inbound: Inbound, rest: str) -> list[Outbound]:
    """ack or reschedule, the two buttons under a reminder of visit <id>:<revision>."""
    ident, _, revision = rest.partition(":")
    visit = await ctx.session.get(Visit, int(ident)) if ident.isdecimal() else None
    mine = visit is not None and (
        ctx.person.company_id == visit.company_id
        or (ctx.person.id == visit.expert_id and visit.company_id in ctx.actor.expert_companies)
    )
    if visit is None or not mine or visit.status != "scheduled" or visit.starts_at <= ctx.now:
        return _error(ctx, "programme.visit_gone")
    say = Say(ctx.content, ctx.lang, ctx.tz)
    company = await repo.company_by_id(ctx.session, visit.company_id)
    company_name = company.name if company else ""
    if revision.isdecimal() and int(revision) != visit.revision:
        lines = visit_lines(say, visit, company=company_name, prepare=False)
        return [Outbound("\n".join([ctx.say("programme.visit_changed"), *lines]))]
    answer = inbound.choice or ""
    if answer not in ("ack", "reschedule"):
        return _error(ctx, "flow.stale_press")
    news = await service.record_reply(ctx.session, visit, ctx.person, answer, ctx.now)
    title, when = visit_title(say, visit.number), say.when(visit.starts_at)
    if answer == "ack":
        return [Outbound(ctx.say("programme.ack_thanks", title=title, when=when))]
    if news:
        person = ctx.person.display_name or ctx.person.platform_user_id

        def render(lang: str) -> Outbound:
            their = Say(ctx.content, lang, ctx.tz)
            headline = their("programme.notice_reschedule_request", company=company_name, person=person)
            return Outbound("\n".join([headline, *visit_lines(their, visit, company=company_name, prepare=False)]), kind="notice")

        await queue_notice(
            ctx.session, kind="reschedule", ref=f"visit:{visit.id}:r{visit.revision}:reschedule:{ctx.person.id}",
            people=await secretariat(ctx.session), render=render, now=ctx.now, audience="secretariat",
            payload={"visit": visit.id, "person": ctx.person.id},
        )
    return [Outbound(ctx.say("programme.reschedule_sent", title=title, when=when))]
