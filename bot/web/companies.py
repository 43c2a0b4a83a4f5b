"""The companies page (course, hearing progress, visits, open incidents, last activity) and a
company's page (people, visits, the hearing report to download, incidents)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from bot.engine.render import Speaker
from bot.incidents import service
from bot.incidents.render import jst, level_label, status_label
from bot.policy import Action, Resource, decide, incident_companies
from bot.reports.hearing import company_report, to_markdown
from bot.reports.workbook import to_xlsx
from bot.reports.overview import company_rows
from bot.store import repo
from bot.store.models import Company, ExpertAssignment, Person, Visit
from bot.web.desk import allowed_or_404, app_of, desk_of, int_param, lang_of, not_found, now_of, render, tz_of

routes = web.RouteTableDef()


def speaker(request: web.Request) -> Speaker:
    content = app_of(request).content
    return Speaker(lang_of(request), content.book, content.words, now_of(request).astimezone(tz_of(request)).date())


def course_name(request: web.Request, code: str) -> str:
    programme = app_of(request).content.response.programme
    found = next((c for c in programme.courses if c.code == code), None) if programme else None
    return found.name.get(lang_of(request)) if found else code


@routes.get("/companies")
async def companies_page(request: web.Request) -> web.Response:
    desk, application, lang = desk_of(request), app_of(request), lang_of(request)
    tz, sp = tz_of(request), speaker(request)
    async with application.sessions() as session:
        rows = await company_rows(session, application.content, lang, now_of(request), incident_companies(desk.actor))
    shown = []
    for row in rows:
        # decide, not authorize: a list of names is not an audited read of each company (its page is)
        if not decide(desk.actor, Action.READ_HEARING, Resource(row.company_id)).allowed:
            continue
        next_visit = sp.say("overview.next_visit", n=row.next_visit.number, at=jst(row.next_visit.starts_at, tz)) if row.next_visit else sp.say("overview.no_visit")
        params = row.labelled(application.content, lang, next_visit)
        incidents = [(level_label(application.content, level, sp), level, count) for level, count in row.incidents.items()]
        shown.append({**params, "id": row.company_id, "held": row.visits_held, "incident_levels": incidents,
                      "last": jst(row.last_activity, tz) if row.last_activity else "-"})
    return render(request, "companies.html", rows=shown)


async def company_of(request: web.Request, action: Action, **detail: object) -> Company:
    """The company of the address, if bot.policy allows the action on it; else the one 404."""
    company_id = int_param(request, "id")
    async with app_of(request).sessions() as session:
        company = await repo.company_by_id(session, company_id)
    name = company.name if company else str(request.match_info["id"])[:40]
    await allowed_or_404(request, action, Resource(company.id if company else None, name=name), **detail)
    if company is None:
        raise not_found(request)
    return company


@routes.get("/companies/{id}")
async def company_page(request: web.Request) -> web.Response:
    return await company_view(request, await company_of(request, Action.READ_HEARING))


def may_admin(request: web.Request, company: Company) -> dict[str, bool]:
    """Which of the people admin forms bot.policy lets this reader see (the secretariat: all)."""
    actor, resource = desk_of(request).actor, Resource(company.id, name=company.name)
    return {action.value: decide(actor, action, resource).allowed for action in (Action.CHANGE_ROLE, Action.MANAGE_COMPANIES, Action.INVITE)}


async def company_view(request: web.Request, company: Company, *, error: str = "", status: int = 200) -> web.Response:
    """The company's page; after a form's mistake, with the message and what was there."""
    application, tz, sp = app_of(request), tz_of(request), speaker(request)
    admin = may_admin(request, company)
    async with application.sessions() as session:
        people = list(await session.scalars(select(Person).where(Person.company_id == company.id).order_by(Person.role, Person.id)))
        experts = list(await session.scalars(
            select(Person).join(ExpertAssignment, ExpertAssignment.person_id == Person.id)
            .where(ExpertAssignment.company_id == company.id).order_by(Person.id)
        ))
        visits = list(await session.scalars(select(Visit).where(Visit.company_id == company.id).order_by(Visit.number)))
        incidents = await service.of_company(session, company.id, open_only=False)
        row = (await company_rows(session, application.content, lang_of(request), now_of(request), frozenset({company.id})))[0]
        invitations = await repo.list_invitations(session, company.id) if admin[Action.INVITE.value] else []
    content, now = application.content, now_of(request)
    programme = content.response.programme
    return render(
        request, "company.html", status=status, company=company, course=course_name(request, company.course), row=row,
        hearing_status=sp.say(f"overview.hearing_{row.hearing_status}"), error=error, admin=admin,
        courses=[(c.code, c.name.get(lang_of(request))) for c in programme.courses] if programme else [],
        people=[{"name": p.display_name or p.platform_user_id, "role": sp.say(f"web.role_{p.role or 'none'}"), "platform": p.platform,
                 "account": f"{p.platform}:{p.platform_user_id}", "role_id": p.role or ""} for p in [*people, *experts]],
        visits=[{"n": v.number, "at": jst(v.starts_at, tz), "mode": v.mode, "place": v.place or "", "expert": v.expert_name or "",
                 "status": v.status} for v in visits],
        incidents=[{"number": i.number, "severity": level_label(content, i.severity, sp), "level": i.severity,
                    "status": status_label(content, i.status, sp), "updated": jst(i.updated_at, tz)} for i in incidents],
        invitations=[{"id": i.id, "code": repo.masked_code(i.code), "role": sp.say(f"web.role_{i.role}"),
                      "uses": str(i.uses_left) if i.uses_left is not None else sp.say("invite.unlimited"),
                      "expires": jst(i.expires_at, tz) if i.expires_at else sp.say("invite.no_expiry"),
                      "state_id": repo.invitation_state(i, now), "state": sp.say(f"invite.state_{repo.invitation_state(i, now)}")}
                     for i, _ in invitations],
    )


@routes.get("/companies/{id}/hearing.{fmt}")
async def hearing_download(request: web.Request) -> web.Response:
    application, fmt = app_of(request), request.match_info["fmt"]
    if fmt not in ("md", "xlsx"):
        raise not_found(request)
    company = await company_of(request, Action.EXPORT_HEARING, format=fmt)
    async with application.sessions() as session:
        report = await company_report(session, application.content, company, lang_of(request))
    if report is None:
        raise not_found(request)
    filename = f"hearing-{company.id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "md":
        return web.Response(text=to_markdown(report), content_type="text/markdown", charset="utf-8", headers=headers)
    return web.Response(body=to_xlsx(report), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers=headers)
