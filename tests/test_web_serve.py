"""The desk beside a chat platform: with HELPDESK_WEB_PORT set, `serve slack|telegram` also
listens for the desk while the platform runs, and stops listening with it."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from bot.runtime.core import Runtime
from bot.web.app import beside_web
from tests.conftest import Clock
from tests.web_setup import desk_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_desk_listens_while_the_platform_runs(runtime: Runtime, database_url: str, clock: Clock) -> None:
    port = free_port()
    app = desk_app(runtime, database_url, clock, web_port=port)
    seen: list[int] = []

    async def platform() -> None:  # stands in for the chat server: asks the desk meanwhile
        async with aiohttp.ClientSession() as client, client.get(f"http://127.0.0.1:{port}/companies") as response:
            seen.append(response.status)

    await beside_web(app, platform())
    assert seen == [401]  # the sign-in page: the desk was up
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as client:
            await client.get(f"http://127.0.0.1:{port}/companies")


async def test_without_a_port_only_the_platform_runs(runtime: Runtime, database_url: str, clock: Clock) -> None:
    ran: list[bool] = []

    async def platform() -> None:
        ran.append(True)

    await beside_web(desk_app(runtime, database_url, clock), platform())
    assert ran == [True]
