"""People admin on a company's web page (the secretariat only): a role changed, a person removed
after a confirm step, the company renamed or moved to the other course, an invitation revoked;
each through bot/admin as `helpdesk people|company|invite` do it, audited with its outcome. Bad
input gets the CLI's message and changes nothing; a lead gets the same 404 as a missing page."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

from bot.runtime.core import Runtime
from bot.store import repo
from bot.store.models import Company, Invitation, Person
from tests.calendar_setup import company, person
from tests.conftest import Clock
from tests.web_setup import Browser, audit_rows, desk_app, open_browser


@pytest.fixture
async def browser(runtime: Runtime, database_url: str, clock: Clock) -> AsyncIterator[Browser]:
    await company(runtime, "A社", "csirt", lead="tanaka", members=("suzuki",))
    await company(runtime, "B社", "it-bcp", lead="yamada")
    opened = await open_browser(desk_app(runtime, database_url, clock), clock)
    yield opened
    await opened.client.close()


async def company_id(runtime: Runtime, name: str) -> int:
    async with runtime.sessions() as session:
        found = await repo.company_by_name(session, name)
        assert found is not None, name
        return found.id


async def role_of(runtime: Runtime, user: str) -> tuple[str | None, int | None]:
    async with runtime.sessions() as session:
        found = await repo.person_by_platform(session, "console", user)
        assert found is not None, user
        return found.role, found.company_id


async def invite(runtime: Runtime, name: str, role: str = "member") -> Invitation:
    async with runtime.sessions.begin() as session:
        owner = await repo.company_by_name(session, name)
        assert owner is not None
        return await repo.create_invitation(session, owner, role, runtime.clock(), uses=2)


def said(browser: Browser, key: str, **params: object) -> str:
    return browser.app.content.book.say(key, "ja", **params)


async def test_a_role_changed_and_a_person_removed_after_confirming(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    a = await company_id(runtime, "A社")
    page = await (await browser.get(f"/companies/{a}")).text()
    assert "console:suzuki" in page and f'action="/companies/{a}/people/role"' in page and f'action="/companies/{a}/rename"' in page

    made = await browser.post(f"/companies/{a}/people/role", {"account": "console:suzuki", "role": "lead"})
    assert made.status == 200 and said(browser, "people.role_changed", account="console:suzuki", role="lead") in await made.text()
    assert await role_of(runtime, "suzuki") == ("lead", a)

    asked = await browser.post(f"/companies/{a}/people/remove", {"account": "console:tanaka"})
    html = await asked.text()
    assert asked.status == 200 and 'name="confirm" value="1"' in html and "console:tanaka" in html
    assert await role_of(runtime, "tanaka") == ("lead", a)  # not before the second press
    removed = await browser.post(f"/companies/{a}/people/remove", {"account": "console:tanaka", "confirm": "1"})
    assert removed.status == 200 and said(browser, "people.removed", account="console:tanaka") in await removed.text()
    assert await role_of(runtime, "tanaka") == (None, None)

    changes = [e for e in await audit_rows(browser.app, "change_role") if (e.detail or {}).get("via") == "web"]
    assert [(e.target, e.detail["step"], e.detail["from"], e.detail["to"], e.detail["outcome"]) for e in changes if e.detail] == [
        ("console:suzuki", "role", "member", "lead", "done"), ("console:tanaka", "remove", "lead", None, "done"),
    ]
    assert all(e.allowed and e.actor_label == "web:console:jimu" and e.company_id == a for e in changes)
    english = await (await browser.get(f"/lang/en?next=/companies/{a}")).text()
    assert "Invitation codes" in english and "Change the role" in english


async def test_bad_input_gets_the_clis_message_and_changes_nothing(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    a, b = await company_id(runtime, "A社"), await company_id(runtime, "B社")
    await browser.get(f"/companies/{a}")

    boss = await browser.post(f"/companies/{a}/people/role", {"account": "console:suzuki", "role": "boss"})
    assert boss.status == 400 and said(browser, "people.role_member_or_lead") in await boss.text()
    assert await role_of(runtime, "suzuki") == ("member", a)
    elsewhere = await browser.post(f"/companies/{a}/people/role", {"account": "console:yamada", "role": "member"})
    assert elsewhere.status == 400 and said(browser, "people.unknown", account="console:yamada") in await elsewhere.text()
    assert await role_of(runtime, "yamada") == ("lead", b)  # B社's lead is not reached through A社's page
    nobody = await browser.post(f"/companies/{a}/people/remove", {"account": "console:ghost", "confirm": "1"})
    assert nobody.status == 400 and said(browser, "people.unknown", account="console:ghost") in await nobody.text()

    blank = await browser.post(f"/companies/{a}/rename", {"name": "　 "})
    assert blank.status == 400 and said(browser, "company.name_empty") in await blank.text()
    taken = await browser.post(f"/companies/{a}/rename", {"name": "ｂ社"})  # B社 under NFKC, case folded
    assert taken.status == 400 and said(browser, "company.exists", name="ｂ社", existing="B社") in await taken.text()
    bike = await browser.post(f"/companies/{a}/course", {"course": "bike"})
    assert bike.status == 400 and said(browser, "web.bad_form") in await bike.text()
    async with runtime.sessions() as session:
        kept = await session.get(Company, a)
        assert kept is not None and (kept.name, kept.course) == ("A社", "csirt")

    failed = [e.detail for e in await audit_rows(browser.app, "manage_companies") if e.detail and e.detail.get("step") == "rename"]
    assert [(d["outcome"], d["error"]) for d in failed] == [
        ("failed", browser.app.content.book.say("company.name_empty", "en")),
        ("failed", browser.app.content.book.say("company.exists", "en", name="ｂ社", existing="B社")),
    ]


async def test_a_company_renamed_and_moved_to_the_other_course(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    a = await company_id(runtime, "A社")
    await browser.get(f"/companies/{a}")
    renamed = await browser.post(f"/companies/{a}/rename", {"name": "Ａ商事"})
    assert renamed.status == 200 and said(browser, "company.renamed", old="A社", new="Ａ商事") in await renamed.text()
    moved = await browser.post(f"/companies/{a}/course", {"course": "it-bcp"})
    assert moved.status == 200 and said(browser, "company.course_changed", name="Ａ商事", old="csirt", new="it-bcp") in await moved.text()
    async with runtime.sessions() as session:
        changed = await session.get(Company, a)
        assert changed is not None and (changed.name, changed.course) == ("Ａ商事", "it-bcp")
    done = [(d["step"], d["from"], d["to"]) for e in await audit_rows(browser.app, "manage_companies")
            if (d := e.detail or {}).get("outcome") == "done"]
    assert done == [("rename", "A社", "Ａ商事"), ("course", "csirt", "it-bcp")]


async def test_the_companys_invitations_listed_and_one_revoked(browser: Browser, runtime: Runtime) -> None:
    await browser.sign_in(await person(runtime, "jimu", role="secretariat"))
    a = await company_id(runtime, "A社")
    ours, theirs = await invite(runtime, "A社"), await invite(runtime, "B社", "lead")
    page = await (await browser.get(f"/companies/{a}")).text()
    assert repo.masked_code(ours.code) in page and ours.code not in page and repo.masked_code(theirs.code) not in page

    revoked = await browser.post(f"/companies/{a}/invitations/{ours.id}/revoke")
    assert revoked.status == 200
    assert said(browser, "invite.revoked", code=repo.masked_code(ours.code), company="A社", role="member") in await revoked.text()
    assert (await browser.post(f"/companies/{a}/invitations/{theirs.id}/revoke")).status == 404  # B社's, through A社
    async with runtime.sessions() as session:
        now = runtime.clock()
        states = {i.id: repo.invitation_state(i, now) for i in [await session.get(Invitation, ours.id), await session.get(Invitation, theirs.id)] if i}
    assert states == {ours.id: "expired", theirs.id: "active"}
    entries = [e for e in await audit_rows(browser.app, "invite") if e.detail and e.detail.get("revoke")]
    assert [(e.company_id, e.detail["was"], e.detail["outcome"]) for e in entries if e.detail] == [(a, "active", "done")]


async def test_a_lead_gets_the_one_404_and_changes_nothing(browser: Browser, runtime: Runtime) -> None:
    a = await company_id(runtime, "A社")
    code = await invite(runtime, "A社")
    async with runtime.sessions() as session:
        lead = await repo.person_by_platform(session, "console", "tanaka")
    assert isinstance(lead, Person)
    await browser.sign_in(lead)
    page = await browser.get(f"/companies/{a}")  # the lead still reads their company's page, without the forms
    html = await page.text()
    assert page.status == 200 and "/people/remove" not in html and "/rename" not in html and "/revoke" not in html
    missing = await browser.get("/companies/9999")
    assert missing.status == 404
    not_found = said(browser, "web.not_found")
    for path, form in ((f"/companies/{a}/people/role", {"account": "console:suzuki", "role": "lead"}),
                       (f"/companies/{a}/people/remove", {"account": "console:suzuki", "confirm": "1"}),
                       (f"/companies/{a}/rename", {"name": "乗っ取り社"}), (f"/companies/{a}/course", {"course": "it-bcp"}),
                       (f"/companies/{a}/invitations/{code.id}/revoke", {})):
        answer = await browser.post(path, form)
        assert answer.status == 404 and not_found in await answer.text(), path
    assert await role_of(runtime, "suzuki") == ("member", a)
    async with runtime.sessions() as session:
        kept = await session.get(Company, a)
        still = await session.get(Invitation, code.id)
        assert kept is not None and kept.name == "A社" and still is not None and repo.invitation_state(still, runtime.clock()) == "active"
    refused = [e for action in ("change_role", "manage_companies", "invite") for e in await audit_rows(browser.app, action)]
    assert len(refused) == 5 and not any(e.allowed for e in refused)
