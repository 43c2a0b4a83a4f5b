"""PostgreSQL going away mid-run: people get a short "busy, try again" in their language, nothing
half-written is kept, and the bot recovers by itself when the database is back.

The test puts a TCP proxy it can cut between the bot and PostgreSQL (PostgreSQL runs only)."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import pytest
from sqlalchemy import select

from bot.config import async_url
from bot.content.loader import Content
from bot.runtime.core import Runtime
from bot.store.db import make_engine, session_factory
from bot.store.models import SheetAnswer
from tests.conftest import ON_POSTGRES, Clock, Convo, add_company

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="a database server outage needs PostgreSQL")


class CuttableProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.server: asyncio.AbstractServer | None = None
        self.port = 0
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop accepting and drop every open connection, as a crashed server would."""
        assert self.server is not None
        self.server.close()
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()
        await self.server.wait_closed()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        self.links |= {client_writer, server_writer}

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.transport.abort()

        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))


@pytest.fixture
async def proxied(database_url: str, content: Content, clock: Clock) -> AsyncIterator[tuple[Runtime, CuttableProxy]]:
    url = async_url(database_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    engine = make_engine(url.set(host="127.0.0.1", port=proxy.port))
    yield Runtime(session_factory(engine), content, clock=clock), proxy
    await engine.dispose()
    if proxy.server is not None and proxy.server.is_serving():
        await proxy.cut()


async def test_outage_gives_busy_and_the_bot_recovers(proxied: tuple[Runtime, CuttableProxy], database_url: str) -> None:
    runtime, proxy = proxied
    direct = session_factory(make_engine(async_url(database_url)))
    tanaka = Convo(runtime, "tanaka")
    english = Convo(runtime, "smith", language="en")
    code = await add_company(runtime, "株式会社サンプル", "csirt", uses=2)
    await tanaka.send(f"/start {code}")
    await english.send(f"/start {code}")
    await tanaka.send("/hearing")
    await tanaka.send("50")
    tanaka.expect("sites")

    await proxy.cut()
    await tanaka.send("3")
    assert [r.kind for r in tanaka.replies] == ["error"]
    assert "混み合っています" in tanaka.text
    await english.send("/help")
    assert "busy" in english.text  # in the person's own language, from the platform hint

    async with direct() as session:
        keys = [row.question_key for row in await session.scalars(select(SheetAnswer))]
    assert keys == ["employees"]  # nothing half-written

    await proxy.start()  # the database is back on the same address
    await tanaka.send("3")
    tanaka.expect("pc_count")  # recovered without a restart, at the same question
    async with direct() as session:
        keys = [row.question_key for row in await session.scalars(select(SheetAnswer))]
    assert keys == ["employees", "sites"]
