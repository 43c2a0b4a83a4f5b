"""/actions: the company's improvement items (改善アクション, bot/drafts/improvements.py).

`/actions` lists a member's or the lead's own company; an assigned expert or the secretariat names
it (`/actions 企業名`). The lead, the assigned experts and the secretariat change an item by its
number: `/actions owner N 名前`, `/actions due N 2026-12-20`, `/actions open|doing|done N`. Every
read and change is audited (bot/policy.py); an item or company one may not read gets the same
answer as one that does not exist."""

from __future__ import annotations

from datetime import date

from bot.drafts.improvements import STATUSES, change, find_person, items_of, open_counts, people_of, person_name
from bot.engine.messages import Inbound, Outbound
from bot.engine.parse import Reprompt, parse_date
from bot.policy import Action, Resource, Role, decide
from bot.store import repo
from bot.store.models import Company, ImprovementItem, Person
from bot.turn.context import Ctx

FIELDS = ("owner", "due")


def _error(ctx: Ctx, key: str, **params: object) -> list[Outbound]:
    return [Outbound(ctx.say(key, **params), kind="error")]


async def handle_actions(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    words = args.split()
    if words and (words[0] in FIELDS or words[0] in STATUSES):
        return await _change(ctx, words)
    name = " ".join(words)
    if ctx.person.role in (Role.MEMBER, Role.LEAD) and not name:
        company = await repo.company_by_id(ctx.session, ctx.person.company_id)
    elif not name:
        return _error(ctx, "actions.usage")
    else:
        company = await repo.company_by_name(ctx.session, name)
    resource = Resource(company_id=company.id if company else None, name=company.name if company else name[:100])
    if not ctx.may(Action.READ_ACTIONS, resource) or company is None:
        return _error(ctx, "actions.not_available")
    return [Outbound(await _listing(ctx, company))]


async def _listing(ctx: Ctx, company: Company) -> str:
    items = await items_of(ctx.session, company.id)
    if not items:
        return ctx.say("actions.empty", company=company.name)
    people = {p.id: p for p in await people_of(ctx.session, company.id)}
    undone = (await open_counts(ctx.session)).get(company.id, 0)
    lines = [ctx.say("actions.title", company=company.name, count=len(items), open=undone)]
    lines += [_line(ctx, item, people) for item in items]
    if decide(ctx.actor, Action.CHANGE_ACTIONS, Resource(company_id=company.id)).allowed:
        lines.append(ctx.say("actions.hint"))
    return "\n".join(lines)


def _line(ctx: Ctx, item: ImprovementItem, people: dict[int, Person]) -> str:
    owner = people.get(item.owner_id) if item.owner_id is not None else None
    unset = ctx.say("actions.none_set")
    return ctx.say(
        "actions.line", id=item.id, status=ctx.say(f"actions.status.{item.status}"),
        title=item.title_en if ctx.lang == "en" else item.title_ja,
        owner=person_name(owner) if owner else unset, due=item.due_on.isoformat() if item.due_on else unset,
    )


async def _change(ctx: Ctx, words: list[str]) -> list[Outbound]:
    what = words[0]
    wanted = 3 if what in FIELDS else 2
    if len(words) < wanted or not words[1].lstrip("#").isdigit():
        return _error(ctx, "actions.usage")
    item = await ctx.session.get(ImprovementItem, int(words[1].lstrip("#")))
    resource = Resource(company_id=item.company_id if item else None, name=f"action #{words[1].lstrip('#')}")
    if item is None or not decide(ctx.actor, Action.READ_ACTIONS, resource).allowed:
        ctx.may(Action.CHANGE_ACTIONS, resource)  # refused: audited as such
        return _error(ctx, "actions.not_available")
    if not decide(ctx.actor, Action.CHANGE_ACTIONS, resource).allowed:
        ctx.may(Action.CHANGE_ACTIONS, resource)  # refused: audited as such
        return _error(ctx, "actions.change_refused")
    value = " ".join(words[2:])
    people = {p.id: p for p in await people_of(ctx.session, item.company_id)}
    owner: Person | None = None
    due: date | None = None
    if what == "owner":
        owner = find_person(list(people.values()), value)
        if owner is None:
            company = await repo.company_by_id(ctx.session, item.company_id)
            return _error(ctx, "actions.owner_unknown", company=company.name if company else "", name=value[:100],
                          names=", ".join(person_name(p) for p in people.values()))
    elif what == "due":
        try:
            due = parse_date(value, ctx.content.words, today=ctx.now.astimezone(ctx.tz).date(), not_past=True)
        except Reprompt as exc:
            return _error(ctx, exc.key, **exc.params)
    detail = owner.id if owner else (due.isoformat() if due else what)
    if not ctx.may(Action.CHANGE_ACTIONS, resource, change=what, value=detail):
        return _error(ctx, "actions.change_refused")
    change(item, ctx.now, owner=owner, due=due, status=what if what in STATUSES else None)
    return [Outbound(ctx.say("actions.changed", line=_line(ctx, item, people)))]
