"""Incidents on the web desk: the open reports one may follow (most severe first), a report with
its summary and timeline, a note added, the status moved. The same policy decisions and the same
domain calls (bot/incidents/progress.py) as /incident in chat and `helpdesk incident`."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from bot.incidents import progress, service
from bot.incidents.render import IncidentView, event_detail, jst, level_label, status_label, summary_lines
from bot.incidents.severity import rank
from bot.policy import Action, Resource, decide, incident_companies
from bot.store import repo
from bot.store.models import Company, Incident, Person
from bot.web.companies import speaker
from bot.web.desk import allowed_or_404, app_of, desk_of, lang_of, not_found, now_of, render, say, tz_of

routes = web.RouteTableDef()


def _resource(incident: Incident) -> Resource:
    return Resource(incident.company_id, incident.reporter_id, incident.number)


@routes.get("/incidents")
async def incidents_page(request: web.Request) -> web.Response:
    desk, application, tz, sp = desk_of(request), app_of(request), tz_of(request), speaker(request)
    config = application.content.response.incident
    async with application.sessions() as session:
        found = await service.open_among(session, incident_companies(desk.actor))
        names = {c.id: c.name for c in await repo.list_companies(session)}
    # decide, not authorize: a list of headlines is not an audited read of each report (its page is)
    found = [i for i in found if decide(desk.actor, Action.READ_INCIDENT, _resource(i)).allowed]
    if config is not None:
        found.sort(key=lambda i: (rank(config, i.severity), i.created_at, i.id))
    rows = [{"number": i.number, "company": names.get(i.company_id or 0, ""), "level": i.severity,
             "severity": level_label(application.content, i.severity, sp), "status": status_label(application.content, i.status, sp),
             "reported": jst(i.created_at, tz), "updated": jst(i.updated_at, tz)} for i in found]
    return render(request, "incidents.html", rows=rows)


async def _incident(request: web.Request, action: Action) -> Incident:
    """The report of the address if it may be read (and, for a change, changed); else the one 404."""
    async with app_of(request).sessions() as session:
        incident = await service.by_number(session, request.match_info["number"][:32])
    asked = incident.number if incident else request.match_info["number"][:32]
    resource = _resource(incident) if incident else Resource(name=asked)
    await allowed_or_404(request, Action.READ_INCIDENT, resource)
    if incident is None:
        raise not_found(request)
    if action is not Action.READ_INCIDENT:
        await allowed_or_404(request, action, resource)
    return incident


async def _report(request: web.Request, incident: Incident, *, error: str = "", note: str = "", status: int = 200) -> web.Response:
    application, tz, sp, desk = app_of(request), tz_of(request), speaker(request), desk_of(request)
    content = application.content
    async with application.sessions() as session:
        answers = await repo.load_answers(session, incident.conversation_id)
        company = await session.get(Company, incident.company_id) if incident.company_id else None
        events = await service.events_of(session, incident.id)
        people = {p.id: p.display_name or p.platform_user_id for p in await session.scalars(
            select(Person).where(Person.id.in_({e.person_id for e in events if e.person_id}))
        )}
    view = IncidentView(incident, answers, company.name if company else "", frozenset(service.steps_done(events)))
    playbook = content.response.playbooks.get(incident.playbook_id or "")
    timeline = [{"at": jst(e.at, tz), "kind": sp.say(f"incident.event_{e.kind}"), "who": people.get(e.person_id or 0, ""),
                 "detail": event_detail(content, e, playbook, sp), "note": e.kind == "update"} for e in events]
    config = content.response.incident
    statuses = [(s.id, s.label.get(lang_of(request))) for s in (config.statuses[1:] if config else []) if s.id != incident.status]
    may_move = decide(desk.actor, Action.MOVE_INCIDENT, _resource(incident)).allowed
    return render(request, "incident.html", status=status, incident=incident, company=company,
                  summary=summary_lines(view, content, sp, tz), timeline=timeline, statuses=statuses if may_move else [],
                  error=error, note=note, max_note=progress.NOTE_MAX)


@routes.get("/incidents/{number}")
async def report_page(request: web.Request) -> web.Response:
    return await _report(request, await _incident(request, Action.READ_INCIDENT))


@routes.post("/incidents/{number}/note")
async def note(request: web.Request) -> web.Response:
    incident = await _incident(request, Action.UPDATE_INCIDENT)
    given = str((await request.post()).get("text", ""))
    try:
        text = progress.note_text(given)
    except ValueError as exc:
        # The note comes back in its box, with what to change: nothing typed is lost.
        key = "web.note_empty" if str(exc) == "empty" else "reprompt.too_long"
        return await _report(request, incident, error=say(request, key, max=progress.NOTE_MAX, length=len(given)), note=given, status=400)
    await _change(request, incident, text=text)
    raise web.HTTPSeeOther(f"/incidents/{incident.number}")


@routes.post("/incidents/{number}/move")
async def move(request: web.Request) -> web.Response:
    incident = await _incident(request, Action.MOVE_INCIDENT)
    config = app_of(request).content.response.incident
    wanted = str((await request.post()).get("status", ""))
    status = progress.find_status(config, wanted) if config else None
    if status is None:
        return await _report(request, incident, error=say(request, "web.bad_status"), status=400)
    await _change(request, incident, status_id=status.id)
    raise web.HTTPSeeOther(f"/incidents/{incident.number}")


async def _change(request: web.Request, incident: Incident, *, text: str | None = None, status_id: str | None = None) -> None:
    """Note or move the report as it is now in the database (another clerk may have moved it)."""
    application, desk, now = app_of(request), desk_of(request), now_of(request)
    today = now.astimezone(tz_of(request)).date()
    async with application.sessions.begin() as session:
        current = await session.get(Incident, incident.id, with_for_update=session.get_bind().dialect.name == "postgresql")
        person = await session.get(Person, desk.person.id)
        if current is None or person is None:
            raise not_found(request)
        if text is not None:
            await progress.add_note(session, application.content, current, person, text, now, today)
        config = application.content.response.incident
        status = next((s for s in config.statuses if s.id == status_id), None) if config and status_id else None
        if status is not None:
            await progress.move_to(session, application.content, current, person, status, now, today)
