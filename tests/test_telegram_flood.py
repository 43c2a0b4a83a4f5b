"""The replies' rate limiter keeps every second under Telegram's 30 messages: a 429 pauses all of
the bot's sends for retry_after while updates queue behind, so the limiter must not provoke one."""

from __future__ import annotations

import asyncio
from collections import Counter

from telegram.ext import ExtBot

from bot.platforms.telegram.application import reply_limiter
from tests.fakes.telegram_api import FakeTelegramAPI, telegram_api

__all__ = ["telegram_api"]  # the fixture, used by name


async def test_a_burst_of_replies_to_many_chats_meets_no_flood_control(telegram_api: FakeTelegramAPI) -> None:
    telegram_api.flood_limit = 30
    bot = ExtBot(telegram_api.token, base_url=telegram_api.base_url, rate_limiter=reply_limiter())
    async with bot:
        # 80 people pressing at once, each answered with one message: nearly three seconds' worth.
        await asyncio.gather(*(bot.send_message(chat_id=9_100_000 + n, text=f"reply {n}") for n in range(80)))
    statuses = Counter(c.status for c in telegram_api.since(0, "sendMessage"))
    assert statuses == Counter({200: 80})
    assert {c.chat_id for c in telegram_api.since(0, "sendMessage")} == {9_100_000 + n for n in range(80)}


async def test_the_stand_in_refuses_the_31st_message_within_a_second(telegram_api: FakeTelegramAPI) -> None:
    """What the test above relies on: without a limiter, a burst meets 429s (as on Telegram)."""
    telegram_api.flood_limit = 30
    bot = ExtBot(telegram_api.token, base_url=telegram_api.base_url)
    async with bot:
        results = await asyncio.gather(
            *(bot.send_message(chat_id=9_200_000 + n, text="x") for n in range(40)), return_exceptions=True
        )
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 10 and all("retry" in str(r).lower() for r in refused)
