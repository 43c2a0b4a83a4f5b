"""Community events on the web desk (the secretariat only): the coming events with their answers,
an event's attendees and waiting list in order, and the attendees as a CSV (every cell through
bot/reports/cells.py, so a name that starts with = is text in Excel). The same reads as `helpdesk
event list|attendees` (scheduler/events.py)."""

from __future__ import annotations

import io

from aiohttp import web

from bot.policy import Action, Resource
from bot.reports.cells import write_csv
from bot.store.models import Event
from bot.web.desk import allowed_or_404, app_of, int_param, not_found, now_of, render, say, tz_of
from scheduler.errors import ProgrammeError
from scheduler.events import ATTENDEE_COLUMNS, attendee_cells, attendees, get_event, list_events
from scheduler.localtime import format_cli

routes = web.RouteTableDef()
ANSWERS = ("yes", "waitlist", "no")  # the order attendees() gives and the page shows


@routes.get("/events")
async def events_page(request: web.Request) -> web.Response:
    await allowed_or_404(request, Action.MANAGE_EVENTS, Resource(name="events"))
    everything = request.query.get("all") == "1"
    tz = tz_of(request)
    async with app_of(request).sessions() as session:
        found = await list_events(session, since=None if everything else now_of(request), include_cancelled=everything)
    rows = [{"id": e.id, "title": e.title, "at": format_cli(e.starts_at, tz), "place": e.place or "",
             "yes": c["yes"], "capacity": e.capacity if e.capacity is not None else "-", "waitlist": c["waitlist"], "no": c["no"],
             "deadline": format_cli(e.rsvp_deadline, tz), "audience": e.audience, "status": e.status} for e, c in found]
    return render(request, "events.html", rows=rows, everything=everything)


async def _attendees(request: web.Request, fmt: str) -> tuple[Event, list[list[str]]]:
    """The event of the address and its attendee rows, if the secretariat asks; else the one 404."""
    event_id = int_param(request, "id")
    await allowed_or_404(request, Action.MANAGE_EVENTS, Resource(name=f"event:{event_id}"), format=fmt)
    try:
        async with app_of(request).sessions() as session:
            event = await get_event(session, event_id or 0)
            rows = await attendees(session, event.id)
    except ProgrammeError:
        raise not_found(request) from None
    return event, attendee_cells(rows, tz_of(request))


@routes.get("/events/{id}")
async def event_page(request: web.Request) -> web.Response:
    event, cells = await _attendees(request, "page")
    groups = [{"answer": answer, "label": say(request, f"programme.rsvp_{answer}_label"),
               "rows": [row for row in cells if row[0] == answer]} for answer in ANSWERS]
    return render(request, "event.html", event=event, groups=groups, at=format_cli(event.starts_at, tz_of(request)),
                  deadline=format_cli(event.rsvp_deadline, tz_of(request)))


@routes.get("/events/{id}/attendees.csv")
async def attendees_csv(request: web.Request) -> web.Response:
    event, cells = await _attendees(request, "csv")
    out = io.StringIO()
    write_csv(out, [ATTENDEE_COLUMNS, *cells])
    headers = {"Content-Disposition": f'attachment; filename="event-{event.id}-attendees.csv"'}
    # With a BOM, Excel (the secretariat's usual tool) opens the UTF-8 file with its Japanese intact.
    return web.Response(body=("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv", charset="utf-8", headers=headers)
