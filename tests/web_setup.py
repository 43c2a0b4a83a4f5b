"""The web desk under test: the real aiohttp app on 127.0.0.1, a browser-like client that signs in
through a real one-time link and posts its forms with the desk's own Origin."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import App
from bot.config import Settings
from bot.runtime.core import Runtime
from bot.policy import actor_for
from bot.store.models import AuditEntry, Person
from bot.web.app import make_app
from bot.web.links import sign_in_url
from tests.conftest import Clock

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def desk_app(runtime: Runtime, database_url: str, clock: Clock, **settings: Any) -> App:
    engine = runtime.sessions.kw["bind"]
    return App(Settings(database_url=database_url, **settings), engine, runtime.sessions, runtime.content, runtime)


async def link_for(app: App, person: Person, clock: Clock, base: str) -> str | None:
    async with app.sessions.begin() as session:
        actor = await actor_for(session, await session.get(Person, person.id), f"test:{person.platform_user_id}")
        return await sign_in_url(session, actor, clock(), base)


@dataclass
class Browser:
    client: TestClient  # type: ignore[type-arg]
    app: App
    clock: Clock
    csrf: str = ""

    @property
    def origin(self) -> str:
        return str(self.client.make_url("/")).rstrip("/")

    async def get(self, path: str) -> ClientResponse:
        response = await self.client.get(path, allow_redirects=True)
        found = CSRF.search(await response.text()) if response.content_type == "text/html" else None
        if found:
            self.csrf = found.group(1)
        return response

    async def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True,
                   origin: str | None = None) -> ClientResponse:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf", self.csrf)
        headers = {"Origin": self.origin if origin is None else origin} if origin != "" else {}
        return await self.client.post(path, data=form, headers=headers, allow_redirects=True)

    async def sign_in(self, person: Person) -> ClientResponse:
        url = await link_for(self.app, person, self.clock, self.origin)
        assert url is not None, f"{person.platform_user_id} may not sign in"
        token = url.rsplit("/", 1)[1]
        page = await self.get(f"/login/{token}")
        assert page.status == 200
        response = await self.post("/login", {"token": token}, csrf=False)
        await self.get("/companies")  # the CSRF token of the new session
        return response


async def open_browser(app: App, clock: Clock) -> Browser:
    client = TestClient(TestServer(make_app(app, clock=clock), host="127.0.0.1"))
    await client.start_server()
    return Browser(client, app, clock)


async def audit_rows(app: App, action: str) -> list[AuditEntry]:
    async with app.sessions() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
