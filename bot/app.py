"""Bootstrap shared by the console, the servers and the CLI: settings, content, database, runtime."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings, check_sqlite_path, get_settings
from bot.content.loader import Content, load_content
from bot.runtime.flood import FloodGate
from bot.runtime.core import Runtime
from bot.store.db import make_engine, session_factory, upgrade


@dataclass(frozen=True)
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    content: Content
    runtime: Runtime


@asynccontextmanager
async def open_app(
    settings: Settings | None = None, *, migrate: bool = True, flood_control: bool = True
) -> AsyncIterator[App]:
    """Content is checked before the database is touched: the bot refuses to start on bad content.

    `flood_control=False` is for the console only: it is the operator's own terminal, and a pipe
    feeds it a whole hearing in a second (README)."""
    settings = settings or get_settings()
    url = settings.db_url
    check_sqlite_path(url)
    content = load_content(settings.content_dir)
    engine = make_engine(url)
    try:
        if migrate:
            await upgrade(engine)
        sessions = session_factory(engine)
        flood = None
        if flood_control and settings.flood_limit:
            flood = FloodGate(settings.flood_limit, timedelta(seconds=settings.flood_window_seconds))
        runtime = Runtime(sessions, content, tz=settings.timezone, flood=flood)
        yield App(settings, engine, sessions, content, runtime)
    finally:
        await engine.dispose()
