"""Shared fixtures. The database is SQLite by default; HELPDESK_DATABASE_URL=postgresql+psycopg://…
runs every database test on PostgreSQL instead (and fails, never skips, when it is unreachable)."""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from bot.config import PROJECT_ROOT, async_url
from bot.content.loader import Content, load_content
from bot.engine.flow import Step
from bot.engine.messages import Inbound, Outbound, split_ref
from bot.runtime.core import Runtime
from bot.store import repo, sheets
from bot.store.db import make_engine, session_factory, upgrade
from bot.store.models import Base

CONTENT_DIR = PROJECT_ROOT / "content"
PG_ENV = os.environ.get("HELPDESK_DATABASE_URL", "")
ON_POSTGRES = PG_ENV.startswith("postgresql")


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(CONTENT_DIR)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test copies the file (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def migrate() -> None:
        engine = make_engine(async_url(f"sqlite:///{path}"))
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture(scope="session")
def postgres_url() -> URL:
    url = async_url(PG_ENV)

    async def migrate() -> None:
        engine = make_engine(url)
        try:
            async with engine.begin() as connection:
                # Start from nothing: a previous run may have left an older schema behind.
                await connection.run_sync(Base.metadata.drop_all)
                await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
                # no longer a model (migration 0008 drops it), so drop_all leaves it behind
                await connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
            await upgrade(engine)
        finally:
            await engine.dispose()

    try:
        asyncio.run(migrate())
    except Exception as exc:  # noqa: BLE001 - any failure to reach it must stop the run
        pytest.fail(f"HELPDESK_DATABASE_URL points at PostgreSQL, which is unreachable: {exc}", pytrace=False)
    return url


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A clean, migrated database for one test, as a URL string (also for child processes)."""
    if ON_POSTGRES:
        url: URL = request.getfixturevalue("postgres_url")

        async def truncate() -> None:
            engine = make_engine(url)
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            async with engine.begin() as connection:
                await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            await engine.dispose()

        asyncio.run(truncate())
        yield url.render_as_string(hide_password=False)
    else:
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "helpdesk.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"


@dataclass
class Clock:
    """A controllable clock; starts on a Tuesday at 10:00 JST."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def runtime(database_url: str, content: Content, clock: Clock) -> AsyncIterator[Runtime]:
    engine = make_engine(async_url(database_url))
    yield Runtime(session_factory(engine), content, clock=clock)
    await engine.dispose()


class Convo:
    """Drive the bot like a person on the console: send(), press(), expect()."""

    def __init__(self, runtime: Runtime, user: str = "tanaka", platform: str = "console", language: str | None = None) -> None:
        self.runtime = runtime
        self.user = user
        self.platform = platform
        self.language = language
        self.replies: list[Outbound] = []
        self.transcript: list[str] = []

    def as_user(self, user: str, language: str | None = None) -> Convo:
        return Convo(self.runtime, user, self.platform, language)

    async def send(self, text: str, **extra: object) -> list[Outbound]:
        inbound = Inbound(self.platform, self.user, text=text, display_name=self.user, language=self.language, **extra)  # type: ignore[arg-type]
        self.replies = await self.runtime.handle(inbound)
        self.transcript.append(f"> {text}")
        self.transcript.extend(r.text for r in self.replies)
        return self.replies

    @property
    def question(self) -> Outbound | None:
        return next((r for r in reversed(self.replies) if r.kind == "question"), None)

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    def key(self) -> str | None:
        """The key of the question the bot just asked ("employees", "business_processes[1].process_rto")."""
        question = self.question
        ref = split_ref(question.question_ref) if question else None
        return ref[1] if ref else None

    def expect(self, key: str) -> None:
        assert self.key() == key, f"expected question {key!r}, bot asked {self.key()!r}:\n{self.text}"

    async def press(self, label_or_value: str) -> list[Outbound]:
        question = self.question
        assert question is not None and question.options, f"no options to press:\n{self.text}"
        choice = next(
            (c for c in question.options if label_or_value in (c.value, c.label)), None
        )
        assert choice is not None, f"no option {label_or_value!r} in {[c.label for c in question.options]}"
        return await self.send("", choice=choice.value, reply_to=question.question_ref)

    async def current_step(self) -> Step | None:
        async with self.runtime.sessions() as session:
            person = await repo.person_by_platform(session, self.platform, self.user)
            assert person is not None
            conversation = await repo.active_conversation(session, person.id)
            if conversation is None or conversation.current_step is None:
                return None
            flow = await repo.flow_of(session, conversation)
            plan = flow.plan(await answers_of(session, self.runtime.content, person, conversation))
            return next(s for s in plan if s.key == conversation.current_step)


async def answers_of(session: Any, content: Any, person: Any, conversation: Any) -> dict[str, Any]:
    """What a conversation's plan is built on: a hearing's are the company's sheet answers."""
    if conversation.flow_id in content.flows and person.company_id is not None:
        sheet = await sheets.sheet_of(session, person.company_id, conversation.flow_id)
        given = await sheets.given_answers(session, sheet.id) if sheet is not None else {}
        return {key: g.answer for key, g in given.items()}
    return await repo.load_answers(session, conversation.id)


@pytest.fixture
def convo(runtime: Runtime) -> Convo:
    return Convo(runtime)


async def add_company(runtime: Runtime, name: str, course: str, role: str = "lead", uses: int = 1) -> str:
    """A company and an invitation code, as `helpdesk company add` makes them."""
    async with runtime.sessions.begin() as session:
        company = await repo.company_by_name(session, name)
        if company is None:
            company = await repo.create_company(session, name, course, runtime.clock())
        invitation = await repo.create_invitation(session, company, role, runtime.clock(), uses=uses)
        return invitation.code


@pytest.fixture
def run_cli(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run the real `helpdesk` command in a child process on the test database."""
    import subprocess
    import sys

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "HELPDESK_DATABASE_URL": database_url, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
            text=True, encoding="utf-8", env=full_env, cwd=tmp_path, timeout=timeout,
        )

    return run
