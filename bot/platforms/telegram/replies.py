"""Outbound -> Telegram messages: text split at Telegram's length limit, options as an inline keyboard
under the last part."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardMarkup, Message

from bot.engine.i18n import MessageBook
from bot.engine.messages import Outbound
from bot.platforms.telegram.buttons import markup, new_payload, store_keyboard
from bot.store import repo
from bot.store.models import utcnow

PLATFORM = "telegram"
# Telegram allows 4096 characters counted in UTF-16 units; a margin keeps emoji and the like inside.
MAX_TEXT = 4000


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Parts of at most `limit` characters, cut at line ends where there is one."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    parts.append(rest)
    return parts


async def person_language(
    sessions: async_sessionmaker[AsyncSession], user_id: str, hint: str | None = None
) -> str:
    """The language the person chose (or was given at first contact); the hint for a stranger."""
    async with sessions() as session:
        person = await repo.person_by_platform(session, PLATFORM, user_id)
    return person.language if person is not None else repo.language_of(hint)


@dataclass(frozen=True)
class Replies:
    """What sending needs besides the Bot: where keyboards are kept, and the button sentences."""

    sessions: async_sessionmaker[AsyncSession]
    book: MessageBook

    async def keyboard(self, chat_id: str, message: Outbound, shown_text: str) -> InlineKeyboardMarkup:
        payload = new_payload(message, chat_id, shown_text)
        key = await store_keyboard(self.sessions, payload, utcnow())
        done = await self.done_label(chat_id) if message.multi else None
        return markup(key, payload, done)

    async def done_label(self, chat_id: str) -> str:
        # Keyboards go to private chats only, whose id is the person's user id.
        return self.book.say("telegram.multi_done", await person_language(self.sessions, chat_id))

    async def send(self, bot: Bot, chat_id: str, message: Outbound) -> Message:
        """Send one Outbound; returns the last Telegram message (the one with the keyboard)."""
        parts = split_text(message.text)
        for part in parts[:-1]:
            await bot.send_message(chat_id, part)
        keyboard = await self.keyboard(chat_id, message, parts[-1]) if message.options else None
        return await bot.send_message(chat_id, parts[-1], reply_markup=keyboard)

    async def send_all(self, bot: Bot, chat_id: str, replies: list[Outbound]) -> None:
        for reply in replies:
            await self.send(bot, chat_id, reply)
