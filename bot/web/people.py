"""People admin on a company's page (the secretariat only): a person removed (after a confirm step)
or given another role, the company renamed or moved to the other course, an invitation revoked.
The same domain calls and messages as `helpdesk people remove|role`, `company rename|course` and
`invite revoke` (bot/admin); each change is audited with its outcome. Anyone else (a lead, an
expert) gets the same 404 as a missing page, recorded as a refusal."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import exists, select

from bot.admin.companies import change_course, rename_company
from bot.admin.invitations import revoke
from bot.admin.people import change_role, parse_account, remove_person
from bot.policy import Action, Resource, decide
from bot.store import repo
from bot.store.models import Company, ExpertAssignment, Invitation, Person
from bot.web.companies import company_view
from bot.web.desk import allowed_or_404, app_of, audited_or_404, desk_of, int_param, lang_of, not_found, now_of, render, say
from scheduler.errors import ProgrammeError

routes = web.RouteTableDef()


async def _company_for(request: web.Request, action: Action) -> Company:
    """The company of the address when bot.policy allows the action on it, before the form is
    read; else the one 404 (a refusal is recorded; the change itself is audited by its handler)."""
    async with app_of(request).sessions() as session:
        company = await repo.company_by_id(session, int_param(request, "id"))
    resource = Resource(company.id if company else None, name=company.name if company else str(request.match_info["id"])[:40])
    if not decide(desk_of(request).actor, action, resource).allowed:
        await allowed_or_404(request, action, resource)
    if company is None:
        raise not_found(request)
    return company


async def _person_of(request: web.Request, company: Company, account: str) -> Person | None:
    """The person the form names, if they are this company's (a member, its lead, an assigned
    expert): a form cannot reach another company's people through this page."""
    platform, user = parse_account(account)
    async with app_of(request).sessions() as session:
        person = await repo.person_by_platform(session, platform, user)
        if person is None:
            return None
        assigned = await session.scalar(select(exists().where(
            ExpertAssignment.person_id == person.id, ExpertAssignment.company_id == company.id)))
    return person if person.company_id == company.id or assigned else None


def _done(request: web.Request, company: Company, message: str) -> web.Response:
    return render(request, "message.html", title=company.name, message=message, back=f"/companies/{company.id}")


async def _mistake(request: web.Request, company: Company, exc: ProgrammeError) -> web.Response:
    return await company_view(request, company, error=exc.render(app_of(request).content.book, lang_of(request)), status=400)


@routes.post("/companies/{id}/people/remove")
async def remove(request: web.Request) -> web.Response:
    company = await _company_for(request, Action.CHANGE_ROLE)
    form = await request.post()
    account = str(form.get("account", "")).strip()[:200]
    person = await _person_of(request, company, account) if account else None
    if person is None:
        return await _mistake(request, company, ProgrammeError("people.unknown", account=account))
    if form.get("confirm") != "1":
        return render(request, "people_remove_confirm.html", company=company, account=account,
                      name=person.display_name or person.platform_user_id)
    book, platform, user = app_of(request).content.book, *parse_account(account)
    async with audited_or_404(request, Action.CHANGE_ROLE, Resource(company.id, name=account), step="remove") as outcome:
        try:
            async with app_of(request).sessions.begin() as session:
                old = await remove_person(session, platform, user)
        except ProgrammeError as exc:
            outcome.error = exc.render(book, "en")
            return await _mistake(request, company, exc)
        outcome.detail.update({"from": old, "to": None})
    return _done(request, company, say(request, "people.removed", account=account))


@routes.post("/companies/{id}/people/role")
async def role(request: web.Request) -> web.Response:
    company = await _company_for(request, Action.CHANGE_ROLE)
    form = await request.post()
    account, wanted = str(form.get("account", "")).strip()[:200], str(form.get("role", "")).strip()[:40]
    if (await _person_of(request, company, account) if account else None) is None:
        return await _mistake(request, company, ProgrammeError("people.unknown", account=account))
    book, platform, user = app_of(request).content.book, *parse_account(account)
    async with audited_or_404(request, Action.CHANGE_ROLE, Resource(company.id, name=account), step="role") as outcome:
        try:
            async with app_of(request).sessions.begin() as session:
                old = await change_role(session, platform, user, wanted)
        except ProgrammeError as exc:
            outcome.error = exc.render(book, "en")
            return await _mistake(request, company, exc)
        outcome.detail.update({"from": old, "to": wanted})
    return _done(request, company, say(request, "people.role_changed", account=account, role=wanted))


@routes.post("/companies/{id}/rename")
async def rename(request: web.Request) -> web.Response:
    company = await _company_for(request, Action.MANAGE_COMPANIES)
    new_name = str((await request.post()).get("name", ""))
    book = app_of(request).content.book
    async with audited_or_404(request, Action.MANAGE_COMPANIES, Resource(company.id, name=company.name), step="rename") as outcome:
        try:
            async with app_of(request).sessions.begin() as session:
                _, old = await rename_company(session, company.name, new_name)
        except ProgrammeError as exc:
            outcome.error = exc.render(book, "en")
            return await _mistake(request, company, exc)
        outcome.detail.update({"from": old, "to": new_name})
    return _done(request, company, say(request, "company.renamed", old=old, new=new_name))


@routes.post("/companies/{id}/course")
async def course(request: web.Request) -> web.Response:
    company = await _company_for(request, Action.MANAGE_COMPANIES)
    wanted = str((await request.post()).get("course", ""))
    programme = app_of(request).content.response.programme
    if wanted not in {c.code for c in (programme.courses if programme else [])}:
        # the page offers only content/programme.yaml's courses: anything else is a forged form
        return await company_view(request, company, error=say(request, "web.bad_form"), status=400)
    async with audited_or_404(request, Action.MANAGE_COMPANIES, Resource(company.id, name=company.name), step="course") as outcome:
        async with app_of(request).sessions.begin() as session:
            found = await session.get(Company, company.id)
            if found is None:  # purged meanwhile
                outcome.error = "the company is gone"
                raise not_found(request)
            old = change_course(found, wanted)
        outcome.detail.update({"from": old, "to": wanted})
    return _done(request, company, say(request, "company.course_changed", name=company.name, old=old, new=wanted))


@routes.post("/companies/{id}/invitations/{invitation}/revoke")
async def revoke_invitation(request: web.Request) -> web.Response:
    company = await _company_for(request, Action.INVITE)
    async with app_of(request).sessions() as session:
        invitation_id = int_param(request, "invitation")
        invitation = await session.get(Invitation, invitation_id) if invitation_id is not None else None
    if invitation is None or invitation.company_id != company.id:
        raise not_found(request)
    book, shown = app_of(request).content.book, repo.masked_code(invitation.code)
    async with audited_or_404(request, Action.INVITE, Resource(company.id, name=shown), revoke=True) as outcome:
        try:
            async with app_of(request).sessions.begin() as session:
                done = await revoke(session, invitation.id, shown, now_of(request))
        except ProgrammeError as exc:
            outcome.error = exc.render(book, "en")
            return await _mistake(request, company, exc)
        outcome.detail["was"] = done.was
    return _done(request, company, say(request, "invite.revoked", code=done.code, company=done.company, role=done.role))
