"""Expert visits on the web desk (the secretariat only): a week, Monday to Sunday, each visit with a
form to move it; a CSV of many visits imported all or nothing. The same domain calls and checks as
`helpdesk visit move|import` (scheduler/visits.py, visit_cautions.py, visit_import.py): a weekend,
holiday, night or double-booked expert is shown and needs a second press, and a visit another
clerk moved since the page was opened is refused (its revision is in the form)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from aiohttp import web

from bot.policy import Action, Resource, decide
from bot.store.models import Company, Visit
from bot.web.desk import (
    MAX_UPLOAD, allowed_or_404, app_of, audited_or_404, desk_of, int_param, lang_of, not_found, now_of, render, say, tz_of,
)
from scheduler.errors import ProgrammeError
from scheduler.localtime import format_cli, parse_local, require_future
from scheduler.visit_cautions import booking_cautions
from scheduler.visit_import import ImportFailed, import_visits
from scheduler.visits import list_visits, move_visit, plan_of

routes = web.RouteTableDef()
RESOURCE = Resource(name="visits")


def _week_of(request: web.Request) -> tuple[date, bool]:
    """The Monday of ?week=YYYY-MM-DD (any day of that week), else of today; False when the
    parameter was given but is not a date."""
    today = now_of(request).astimezone(tz_of(request)).date()
    given = request.query.get("week")
    try:
        day = date.fromisoformat(given[:10]) if given else today
    except ValueError:
        return today - timedelta(days=today.weekday()), False
    return day - timedelta(days=day.weekday()), True


async def _week_page(request: web.Request, monday: date, *, error: str = "", status: int = 200) -> web.Response:
    application, tz, lang = app_of(request), tz_of(request), lang_of(request)
    plan = plan_of(application.content)
    modes: dict[str, str] = {m.id: m.label.get(lang) for m in plan.modes}
    weekdays = say(request, "programme.weekdays").split(",")
    start = datetime.combine(monday, time(0), tzinfo=tz)
    async with application.sessions() as session:
        rows = await list_visits(session, since=start, until=start + timedelta(days=7))
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        shown = [{
            "id": r.visit.id, "company": r.company.name, "company_id": r.company.id, "n": r.visit.number,
            "time": r.visit.starts_at.astimezone(tz).strftime("%H:%M"), "at": format_cli(r.visit.starts_at, tz),
            "mode": modes.get(r.visit.mode, r.visit.mode), "expert": r.visit.expert_name or "", "revision": r.visit.revision,
        } for r in rows if r.visit.starts_at.astimezone(tz).date() == day]
        days.append({"label": say(request, "web.day_label", m=day.month, d=day.day, wd=weekdays[offset]),
                     "weekend": offset >= 5, "visits": shown})
    return render(request, "visits.html", status=status, days=days, error=error,
                  first=monday.isoformat(), last=(monday + timedelta(days=6)).isoformat(),
                  prev=(monday - timedelta(days=7)).isoformat(), next=(monday + timedelta(days=7)).isoformat(),
                  max_mb=request.app[MAX_UPLOAD] // 1_000_000)


@routes.get("/visits")
async def visits_page(request: web.Request) -> web.Response:
    await allowed_or_404(request, Action.MANAGE_VISITS, RESOURCE)
    monday, valid = _week_of(request)
    if not valid:
        return await _week_page(request, monday, error=say(request, "web.bad_week"), status=400)
    return await _week_page(request, monday)


async def _refuse_unless_allowed(request: web.Request, name: str) -> None:
    """Before a form is read: someone who may not manage visits gets the one 404 (recorded)."""
    if not decide(desk_of(request).actor, Action.MANAGE_VISITS, RESOURCE).allowed:
        await allowed_or_404(request, Action.MANAGE_VISITS, Resource(name=name))


def _monday(moment: datetime, request: web.Request) -> date:
    day = moment.astimezone(tz_of(request)).date()
    return day - timedelta(days=day.weekday())


@routes.post("/visits/{id}/move")
async def move(request: web.Request) -> web.Response:
    await _refuse_unless_allowed(request, "visit-move")
    visit_id = int_param(request, "id")
    application, tz, lang = app_of(request), tz_of(request), lang_of(request)
    book, now = application.content.book, now_of(request)
    form = await request.post()
    typed, confirmed = str(form.get("at", "")).strip(), form.get("confirm") == "1"
    sent_revision = str(form.get("revision", ""))
    async with application.sessions() as session:
        visit = await session.get(Visit, visit_id) if visit_id is not None else None
        company = await session.get(Company, visit.company_id) if visit is not None else None
    if visit is None or company is None or visit.status != "scheduled":
        raise not_found(request)
    week = _monday(visit.starts_at, request)
    if not sent_revision.isdecimal():
        return await _week_page(request, week, error=say(request, "web.bad_form"), status=400)
    try:
        # a past time is refused before any caution is asked about (move_visit checks it again)
        at = require_future(parse_local(typed, tz, words=application.content.words, today=now.astimezone(tz).date()), now, tz)
    except ProgrammeError as exc:
        return await _week_page(request, week, error=exc.render(book, lang), status=400)
    if not confirmed:
        async with application.sessions() as session:
            cautions = await booking_cautions(session, at, visit.expert_name, company.id, plan_of(application.content), tz, book, lang)
        if cautions:
            return render(request, "visit_confirm.html", visit=visit, company=company, at=typed, revision=sent_revision,
                          cautions=[c.render(book, lang) for c in cautions])
    async with audited_or_404(request, Action.MANAGE_VISITS, Resource(company.id, name=f"{company.name} #{visit.number}"),
                              step="move", to=format_cli(at, tz)) as outcome:
        try:
            async with application.sessions.begin() as session:
                moved = await move_visit(session, application.content, tz, company.name, visit.number, now=now, at=at,
                                         revision=int(sent_revision))
                done = say(request, "web.visit_moved", company=company.name, n=moved.number, when=format_cli(moved.starts_at, tz))
        except ProgrammeError as exc:
            outcome.error = exc.render(book, "en")
            stale = exc.key == "programme.visit_stale"
            return await _week_page(request, week, error=exc.render(book, lang), status=409 if stale else 400)
    return render(request, "message.html", title=say(request, "web.nav_visits"), message=done,
                  back=f"/visits?week={_monday(at, request).isoformat()}")


@routes.post("/visits/import")
async def import_csv(request: web.Request) -> web.Response:
    await _refuse_unless_allowed(request, "visit-import")
    application, tz, lang, now = app_of(request), tz_of(request), lang_of(request), now_of(request)
    book = application.content.book
    field = (await request.post()).get("file")
    data = field.file.read() if isinstance(field, web.FileField) else b""
    monday, _ = _week_of(request)
    if not data:
        return await _week_page(request, monday, error=say(request, "web.import_no_file"), status=400)
    name = field.filename[:80] if isinstance(field, web.FileField) else ""
    async with audited_or_404(request, Action.MANAGE_VISITS, Resource(name="visit-import"), file=name, size=len(data)) as outcome:
        try:
            async with application.sessions.begin() as session:
                result = await import_visits(session, application.content, tz, data, now=now)
        except ImportFailed as exc:
            outcome.error = f"nothing was imported ({len(exc.problems)} problem(s))"
            return render(request, "visit_import.html", status=400, filename=name, encoding=exc.encoding,
                          problems=[p.render(book, lang) for p in exc.problems], added=0, unchanged=0)
    return render(request, "visit_import.html", filename=name, encoding=result.encoding, problems=[],
                  added=len(result.added), unchanged=result.unchanged)
