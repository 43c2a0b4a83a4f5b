"""Notices on the web desk (the secretariat only): write one, see its audience count and first
recipients, confirm; then its delivery status with each failure and its reason. The same drafts
and broadcast as /notice in chat (scheduler/notices.py), so a second confirmation sends nothing."""

from __future__ import annotations

from aiohttp import web

from bot.policy import STARTED, Action, Resource, authorize_entry, settle
from bot.store import repo
from bot.web.desk import allowed_or_404, app_of, desk_of, int_param, lang_of, not_found, now_of, render, say, tz_of
from scheduler import notices as service
from scheduler.audience import first_recipients, parse_audience, participants
from scheduler.errors import ProgrammeError
from scheduler.localtime import format_cli

routes = web.RouteTableDef()


async def _audiences(request: web.Request) -> list[tuple[str, str]]:
    """(value, label) of every audience the form offers: everyone, each course, each company."""
    application, lang = app_of(request), lang_of(request)
    programme = application.content.response.programme
    async with application.sessions() as session:
        companies = await repo.list_companies(session)
    choices = [("all", say(request, "web.audience_all"))]
    choices += [(f"course:{c.code}", c.name.get(lang)) for c in (programme.courses if programme else [])]
    return choices + [(f"company:{c.name}", c.name) for c in companies]


async def _write_page(request: web.Request, *, audience: str = "all", text: str = "", error: str = "", status: int = 200) -> web.Response:
    async with app_of(request).sessions() as session:
        recent = await service.recent_notices(session, 20)
    tz = app_of(request).runtime.tz
    return render(request, "notices.html", status=status, audiences=await _audiences(request), audience=audience, text=text,
                  error=error, recent=[{"id": n.id, "kind": n.kind, "audience": n.audience or "", "at": format_cli(n.send_at, tz)} for n in recent])


@routes.get("/notices")
async def notices_page(request: web.Request) -> web.Response:
    await allowed_or_404(request, Action.BROADCAST, Resource(name="notices"))
    return await _write_page(request)


@routes.post("/notices/preview")
async def preview(request: web.Request) -> web.Response:
    await allowed_or_404(request, Action.BROADCAST, Resource(name="preview"))
    form = await request.post()
    target, text = str(form.get("audience", "")), str(form.get("text", ""))
    application, desk = app_of(request), desk_of(request)
    try:
        async with application.sessions.begin() as session:
            audience = parse_audience(target)
            draft, count = await service.create_draft(session, audience, text, now=now_of(request), created_by=desk.person.id)
            names, more = first_recipients(await participants(session, audience))
    except ProgrammeError as exc:
        # What was typed comes back in the form, with what to change.
        return await _write_page(request, audience=target, text=text, error=exc.render(application.content.book, lang_of(request)), status=400)
    label = dict(await _audiences(request)).get(str(audience), str(audience))  # the course's or company's name
    return render(request, "notice_preview.html", draft=draft, audience=label, count=count, names=names, more=more)


@routes.post("/notices/drafts/{id}/{choice}")
async def confirm(request: web.Request) -> web.Response:
    draft_id, choice = int_param(request, "id"), request.match_info["choice"]
    if draft_id is None or choice not in ("send", "cancel"):
        raise not_found(request)
    application, desk = app_of(request), desk_of(request)
    error: str | None = None
    message = ""
    async with application.sessions.begin() as session:
        allowed, entry = authorize_entry(session, desk.actor, Action.BROADCAST, Resource(name=f"draft:{draft_id}"), now_of(request),
                                         {"via": "web"}, outcome=STARTED)
        if not allowed or entry is None:
            done = None
        else:
            try:
                if choice == "send":
                    done = await service.send_draft(session, application.content, draft_id, now=now_of(request), created_by=desk.person.id)
                else:
                    done = await service.cancel_draft(session, draft_id)
            except ProgrammeError as exc:
                done, error = None, exc.render(application.content.book, "en")
                message = exc.render(application.content.book, lang_of(request))
            if done is not None and not (choice == "send" and done.state == "sent"):
                error = done.state
            settle(entry, error)  # a press that sent nothing is not recorded as an allowed broadcast
    if not allowed:
        raise not_found(request)
    if done is None:
        return render(request, "message.html", status=400, title=say(request, "web.refused_title"), message=message)
    if done.state == "missing":
        raise not_found(request)
    if done.notice_id is not None:
        raise web.HTTPSeeOther(f"/notices/{done.notice_id}" + ("?again=1" if done.state == "already_sent" else ""))
    return render(request, "message.html", title=say(request, "web.nav_notices"), message=say(request, "programme.notice_draft_cancelled"))


@routes.get("/notices/{id}")
async def status_page(request: web.Request) -> web.Response:
    notice_id = int_param(request, "id")
    await allowed_or_404(request, Action.BROADCAST, Resource(name=f"notice:{notice_id}"))
    try:
        async with app_of(request).sessions() as session:
            status = await service.notice_status(session, notice_id or 0)
    except ProgrammeError:
        raise not_found(request) from None
    return render(request, "notice_status.html", delivery=status, again="again" in request.query,
                  at=format_cli(status.notice.send_at, tz_of(request)))

