"""Signing in and out, and the language switch.

GET /login/TOKEN only shows a button: chat apps open links to preview them, and a preview must not
spend a one-time link. The press (POST /login) spends it and opens the session."""

from __future__ import annotations

from aiohttp import web

from bot.policy import Action, Actor, audit
from bot.store.models import Person
from bot.web.desk import LANG_COOKIE, LANGS, SESSION_COOKIE, app_of, desk_of, now_of, render, say
from bot.web.guard import web_label
from bot.web.signin import SESSION_TTL, close_session, link_state, open_session, redeem_link

routes = web.RouteTableDef()


def _secure(request: web.Request) -> bool:
    """Secure cookies when the desk is reached over https (directly, or behind a proxy whose
    public address HELPDESK_WEB_BASE_URL names)."""
    configured = app_of(request).settings.web_base_url or ""
    return request.secure or configured.startswith("https://")


def _link_refused(request: web.Request, reason: str) -> web.Response:
    key = {"used": "web.link_used", "expired": "web.link_expired"}.get(reason, "web.link_unknown")
    return render(request, "message.html", status=410 if reason in ("used", "expired") else 404,
                  title=say(request, "web.link_title"), message=say(request, key))


@routes.get("/login/{token}")
async def login_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    async with app_of(request).sessions() as session:
        state = await link_state(session, token, now_of(request))
    if state != "ok":
        return _link_refused(request, state)
    return render(request, "login.html", token=token)


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    token = str((await request.post()).get("token", ""))
    now = now_of(request)
    async with app_of(request).sessions.begin() as session:
        redeemed = await redeem_link(session, token, now)
        person = await session.get(Person, redeemed.person_id) if redeemed.person_id is not None else None
        actor = Actor(person.id, person.role, person.company_id, label=web_label(person)) if person else Actor(None, None, None, label="web:anonymous")
        audit(session, actor, Action.WEB_SIGN_IN.value, now, allowed=person is not None,
              detail={"step": "session", "reason": redeemed.reason})
        sid = (await open_session(session, person.id, now))[0] if person is not None else None
    if sid is None:
        return _link_refused(request, redeemed.reason)
    response = web.HTTPSeeOther("/companies")
    response.set_cookie(SESSION_COOKIE, sid, max_age=int(SESSION_TTL.total_seconds()), path="/",
                        httponly=True, samesite="Strict", secure=_secure(request))
    raise response


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    async with app_of(request).sessions.begin() as session:
        await close_session(session, request.cookies.get(SESSION_COOKIE, ""))
        audit(session, desk.actor, "web_sign_out", now_of(request), allowed=True)
    response = web.HTTPSeeOther("/signed-out")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@routes.get("/signed-out")
async def signed_out(request: web.Request) -> web.Response:
    return render(request, "message.html", title=say(request, "web.signed_out_title"), message=say(request, "web.signed_out"))


@routes.get("/lang/{lang}")
async def switch_language(request: web.Request) -> web.StreamResponse:
    lang = request.match_info["lang"]
    back = request.query.get("next", "/")
    # Only a path of this site: never an open redirect to another.
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = "/"
    response = web.HTTPSeeOther(back)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="Lax", secure=_secure(request))
    raise response


@routes.get("/")
async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/companies")
