"""Every request passes here: who is signed in (the session cookie), and for a form, that it comes
from the desk's own pages (Origin, then its CSRF token). A person whose role no longer allows the
desk is signed out at their next request."""

from __future__ import annotations

import hmac
from typing import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from bot.policy import Action, actor_for, decide
from bot.store.models import Person
from bot.web.desk import DESK, MAX_UPLOAD, SESSION_COOKIE, Desk, app_of, now_of, render, say
from bot.web.signin import session_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Pages open without a session: the sign-in link itself, the language switch, the signed-out page.
PUBLIC = ("/login", "/lang/", "/signed-out")
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def web_label(person: Person) -> str:
    return f"web:{person.platform}:{person.platform_user_id}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def same_origin(request: web.Request) -> bool:
    """A form must come from the desk's own origin: the Origin header (every current browser sends
    it with a POST), else the Referer. Neither is no proof, so it is refused too."""
    sent = request.headers.get("Origin") or _origin(request.headers.get("Referer", ""))
    if not sent or sent == "null":
        return False
    ours = {f"{request.scheme}://{request.host}".lower()}
    configured = app_of(request).settings.web_base_url
    if configured:
        ours.add(_origin(configured))
    return sent.lower() in ours


def refused(request: web.Request, key: str) -> web.Response:
    return render(request, "message.html", status=403, title=say(request, "web.refused_title"), message=say(request, key))


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in ("GET", "HEAD") and not same_origin(request):
        return refused(request, "web.bad_origin")
    if request.path.startswith(PUBLIC):
        return await handler(request)
    desk = await _desk(request)
    if desk is None:
        return render(request, "signin.html", status=401)
    request[DESK] = desk
    if request.method not in ("GET", "HEAD"):
        # Read the token from the form (aiohttp keeps the parsed form for the handler).
        try:
            form = await request.post() if request.content_type in FORMS else None
        except web.HTTPRequestEntityTooLarge:
            return render(request, "message.html", status=413, title=say(request, "web.refused_title"),
                          message=say(request, "web.too_large", mb=request.app[MAX_UPLOAD] // 1_000_000))
        sent = form.get("csrf") if form is not None else None
        if not isinstance(sent, str) or not hmac.compare_digest(sent, desk.csrf):
            return refused(request, "web.bad_csrf")
    return await handler(request)


async def _desk(request: web.Request) -> Desk | None:
    sid = request.cookies.get(SESSION_COOKIE)
    if not sid:
        return None
    application = app_of(request)
    async with application.sessions() as session:
        row = await session_of(session, sid, now_of(request))
        person = await session.get(Person, row.person_id) if row is not None else None
        if row is None or person is None:
            return None
        actor = await actor_for(session, person, web_label(person))
    if not decide(actor, Action.WEB_SIGN_IN).allowed:
        return None
    return Desk(person, actor, row.csrf)
