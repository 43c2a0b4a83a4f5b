"""/profile: how to call a reporter back (name, department, phone, mail), for the people who may
read their incident reports. Each field may stay empty; `/profile FIELD VALUE` sets one,
`/profile FIELD -` clears it. Field names are the content's labels (氏名/name, …) or their ids."""

from __future__ import annotations

import re

from bot.turn.context import Ctx
from bot.engine.messages import Inbound, Outbound
from bot.engine.parse import clean_text, word_key
from bot.engine.render import Speaker
from bot.store.models import Person

FIELDS = ("full_name", "department", "phone", "email")
LIMITS = {"full_name": 100, "department": 100, "phone": 32, "email": 254}
_PHONE = re.compile(r"^\+?[0-9][0-9()\- ]{4,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CLEAR = "-"


def contact_of(person: Person | None) -> dict[str, str | None]:
    return {field: getattr(person, field) if person else None for field in FIELDS}


def contact_line(person: Person | None, sp: Speaker) -> list[str]:
    """One line with what the reporter gave, for those who may read the report; none if nothing."""
    given = [(f, v) for f, v in contact_of(person).items() if v]
    if not given:
        return []
    parts = [sp.say("profile.item", label=sp.say(f"profile.label_{f}"), value=v) for f, v in given]
    return [sp.say("profile.reporter_line", items=sp.say("unit.list_join").join(parts))]


def _field(ctx: Ctx, word: str) -> str | None:
    key = word_key(word)
    for field in FIELDS:
        text = ctx.content.book.text(f"profile.label_{field}")
        if key in (field, word_key(text.ja), word_key(text.en)):
            return field
    return None


def _checked(ctx: Ctx, field: str, value: str) -> str | Outbound:
    if len(value) > LIMITS[field]:
        return Outbound(ctx.say("reprompt.too_long", max=LIMITS[field], length=len(value)), kind="reprompt")
    if field == "phone" and (not _PHONE.match(value) or sum(c.isdigit() for c in value) < 6):
        return Outbound(ctx.say("profile.bad_phone"), kind="reprompt")
    if field == "email" and not _EMAIL.match(value):
        return Outbound(ctx.say("profile.bad_email"), kind="reprompt")
    return value


async def handle_profile(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    if ctx.person.role is None:
        return [Outbound(ctx.say("profile.register_first"), kind="error")]
    words = clean_text(args).split(maxsplit=1)
    if not words:
        shown = [
            ctx.say("profile.item", label=ctx.say(f"profile.label_{f}"), value=v or ctx.say("value.unanswered"))
            for f, v in contact_of(ctx.person).items()
        ]
        return [Outbound("\n".join([ctx.say("profile.title"), *shown, ctx.say("profile.usage")]))]
    field = _field(ctx, words[0])
    if field is None or len(words) < 2:
        return [Outbound(ctx.say("profile.usage"), kind="reprompt")]
    value = words[1].strip()
    if value == CLEAR:
        setattr(ctx.person, field, None)
        return [Outbound(ctx.say("profile.cleared", label=ctx.say(f"profile.label_{field}")))]
    checked = _checked(ctx, field, value)
    if isinstance(checked, Outbound):
        return [checked]
    setattr(ctx.person, field, checked)
    ctx.person.profile_asked_at = ctx.person.profile_asked_at or ctx.now
    return [Outbound(ctx.say("profile.saved", label=ctx.say(f"profile.label_{field}"), value=checked))]


def ask_once(ctx: Ctx) -> list[Outbound]:
    """At a person's first report: how to leave a call-back contact (skippable, never asked again)."""
    if ctx.person.profile_asked_at is not None or any(contact_of(ctx.person).values()):
        return []
    ctx.person.profile_asked_at = ctx.now
    return [Outbound(ctx.say("profile.ask"))]
