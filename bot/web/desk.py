"""What a page handler has: the bot's App, the signed-in person as bot.policy sees them, the
reader's language, and how to render a template or the one "not found" page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from bot.app import App
from bot.policy import STARTED, Action, Actor, Resource, authorize, authorize_entry, settle
from bot.store.models import AuditEntry, Person



@dataclass(frozen=True)
class Server:
    application: App
    clock: Callable[[], datetime]  # utcnow; tests pass a controllable clock


SERVER = web.AppKey("helpdesk_server", Server)
MAX_UPLOAD = web.AppKey("helpdesk_max_upload", int)  # bytes of one request body (a CSV upload)
LANGS = ("ja", "en")
LANG_COOKIE = "helpdesk_lang"
SESSION_COOKIE = "helpdesk_session"


@dataclass(frozen=True)
class Desk:
    person: Person
    actor: Actor
    csrf: str


DESK = web.RequestKey("helpdesk_desk", Desk)  # set by bot.web.guard on a signed-in request


def app_of(request: web.Request) -> App:
    return request.app[SERVER].application


def now_of(request: web.Request) -> datetime:
    return request.app[SERVER].clock()


def tz_of(request: web.Request) -> ZoneInfo:
    return ZoneInfo(app_of(request).settings.timezone)


def desk_of(request: web.Request) -> Desk:
    return request[DESK]


def lang_of(request: web.Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGS else "ja"  # Japanese first; English by the switch


def say(request: web.Request, key: str, **params: object) -> str:
    return app_of(request).content.book.say(key, lang_of(request), **params)


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    desk = request.get(DESK)
    base = {
        "t": lambda key, **params: say(request, key, **params),
        "lang": lang_of(request), "desk": desk, "csrf": desk.csrf if desk else "",
        "path": request.path_qs,
    }
    return aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)


def not_found(request: web.Request) -> web.HTTPNotFound:
    """The one answer for a missing page and a page the person may not see: a lead who guesses
    another company's address learns nothing about whether it exists."""
    response = render(request, "message.html", status=404, title=say(request, "web.not_found_title"),
                      message=say(request, "web.not_found"))
    return web.HTTPNotFound(text=response.text, content_type="text/html")


async def allowed_or_404(request: web.Request, action: Action, resource: Resource, **detail: object) -> None:
    """Ask bot.policy in a transaction of its own, so the audit entry (a refusal above all) is
    committed before the page answers "not found"."""
    desk = desk_of(request)
    async with app_of(request).sessions.begin() as session:
        allowed = authorize(session, desk.actor, action, resource, now_of(request), {"via": "web", **detail})
    if not allowed:
        raise not_found(request)


@dataclass
class Outcome:
    error: str | None = None  # set by the block when nothing was done, with why (in English)
    detail: dict[str, object] = field(default_factory=dict)  # what was changed (from, to), for the entry


@asynccontextmanager
async def audited_or_404(request: web.Request, action: Action, resource: Resource, **detail: object) -> AsyncIterator[Outcome]:
    """allowed_or_404 for a change whose outcome the audit log must tell (a visit moved, a CSV
    imported): recorded as started in its own transaction, then as done, or failed with the reason
    the block sets or raises; never left reading as allowed when nothing happened."""
    desk, application = desk_of(request), app_of(request)
    async with application.sessions.begin() as session:
        allowed, entry = authorize_entry(session, desk.actor, action, resource, now_of(request), {"via": "web", **detail}, outcome=STARTED)
        await session.flush()
        entry_id = entry.id if entry is not None else None
    if not allowed:
        raise not_found(request)
    outcome = Outcome()
    try:
        yield outcome
    except BaseException as exc:
        outcome.error = outcome.error or type(exc).__name__
        raise
    finally:
        async with application.sessions.begin() as session:
            row = await session.get(AuditEntry, entry_id)
            if row is not None:
                row.detail = {**(row.detail or {}), **outcome.detail}
                settle(row, outcome.error)


def int_param(request: web.Request, name: str) -> int | None:
    value = request.match_info.get(name, "")
    return int(value) if value.isdecimal() and len(value) < 12 else None
