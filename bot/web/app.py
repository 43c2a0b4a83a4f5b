"""The desk's aiohttp application: templates, the guard, and each page module's routes."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Awaitable, Callable

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.app import App
from bot.store.models import utcnow
from bot.web import companies, events, incidents, login, notices, people, visits
from bot.web.desk import MAX_UPLOAD, SERVER, Server
from bot.web.guard import guard

TEMPLATES = Path(__file__).resolve().parent / "templates"
# A visits CSV of 40 companies x 6 visits is a few kB; anything past this is not one.
MAX_UPLOAD_BYTES = 2_000_000


def make_app(application: App, *, clock: Callable[[], datetime] = utcnow) -> web.Application:
    # aiohttp's own limit answers a bigger body with 413 before any of it is kept
    app = web.Application(middlewares=[guard], client_max_size=MAX_UPLOAD_BYTES)
    app[SERVER] = Server(application, clock)
    app[MAX_UPLOAD] = MAX_UPLOAD_BYTES
    aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    for module in (login, companies, incidents, notices, visits, events, people):
        app.add_routes(module.routes)
    return app


async def start_web(application: App, port: int, host: str = "127.0.0.1") -> web.AppRunner:
    """Listen now, so a port already taken fails at start, not later; the caller cleans up."""
    runner = web.AppRunner(make_app(application), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


async def serve_web(application: App, port: int, host: str = "127.0.0.1") -> None:
    """Serve the desk alone until cancelled."""
    runner = await start_web(application, port, host)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def beside_web(application: App, main: Awaitable[None]) -> None:
    """Run a chat platform's server, and the desk beside it when HELPDESK_WEB_PORT is set."""
    port = application.settings.web_port
    runner = await start_web(application, port) if port else None
    try:
        await main
    finally:
        if runner is not None:
            await runner.cleanup()
