"""Outbound -> Telegram messages: text split at Telegram's length limit, options as an inline keyboard
under the last part, then each file the reply carries as a document (sendDocument, a multipart
upload). A reply whose text was sent already and only its files are left has an empty text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardMarkup, Message

from bot.engine.i18n import MessageBook
from bot.turn.context import Ctx
from bot.engine.messages import Inbound, OutFile, Outbound
from bot.runtime.core import Runtime
from bot.platforms.telegram.buttons import markup, new_payload, store_keyboard_in
from bot.store import repo
from bot.store.models import utcnow

PLATFORM = "telegram"
# Telegram allows 4096 characters counted in UTF-16 units; a margin keeps emoji and the like inside.
MAX_TEXT = 4000


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Parts of at most `limit` characters. A cut goes before a line that starts an item (one not
    indented: a contact's channels and an answer's details are indented under it), so no item is
    torn in two; failing that at a line end, and only a single line longer than the limit is cut
    inside."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _item_start(rest, limit)
        if cut <= 0:
            cut = rest.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    parts.append(rest)
    return parts


def _item_start(text: str, limit: int) -> int:
    """The last line end within `limit` that is followed by an item's first line, or -1."""
    cut = text.rfind("\n", 0, limit)
    while cut > 0:
        following = text[cut + 1 : cut + 2]
        if following and not following.isspace():
            return cut
        cut = text.rfind("\n", 0, cut)
    return -1


def text_parts(message: Outbound) -> list[str]:
    """The messages a reply's text takes: none when only its files are left to send."""
    return [] if not message.text and message.files else split_text(message.text)


async def send_file(bot: Bot, chat_id: str, file: OutFile) -> Message:
    return await bot.send_document(chat_id, document=file.data, filename=file.name)


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
        """A keyboard stored in a transaction of its own (a notice, or a reply sent without one)."""
        # Keyboards go to private chats only, whose id is the person's user id.
        lang = await person_language(self.sessions, chat_id) if message.multi else None
        async with self.sessions.begin() as session:
            return await self._keyboard_in(session, chat_id, message, shown_text, utcnow(), lang)

    async def _keyboard_in(
        self, session: AsyncSession, chat_id: str, message: Outbound, shown_text: str, now: datetime,
        lang: str | None,
    ) -> InlineKeyboardMarkup:
        payload = new_payload(message, chat_id, shown_text)
        key = await store_keyboard_in(session, payload, now)
        done = self.book.say("telegram.multi_done", lang or "ja") if message.multi else None
        return markup(key, payload, done)

    async def handle(self, runtime: Runtime, inbound: Inbound) -> Answered:
        """The runtime's replies to `inbound`, their keyboards stored in the same transaction (a
        keyboard exists exactly when the answer it follows was committed, and no second
        transaction per question)."""
        assert inbound.chat_id is not None
        chat_id = inbound.chat_id
        made: list[tuple[list[Outbound], dict[int, InlineKeyboardMarkup]]] = []

        async def store(ctx: Ctx, replies: list[Outbound]) -> None:
            keyboards = {}
            for index, reply in enumerate(replies):
                if reply.options:
                    shown = split_text(reply.text)[-1]
                    keyboards[index] = await self._keyboard_in(ctx.session, chat_id, reply, shown, ctx.now, ctx.lang)
            made.append((replies, keyboards))

        replies = await runtime.handle(inbound, before_commit=store)
        # Only the run that returned these replies committed (a retried or failed one rolled back).
        keyboards = next((k for r, k in reversed(made) if r is replies), {})
        return Answered(replies, keyboards)

    async def send(
        self, bot: Bot, chat_id: str, message: Outbound, keyboard: InlineKeyboardMarkup | None = None
    ) -> Message:
        """Send one Outbound, as the delivery worker does (replies to a message go through
        courier.py); returns the last Telegram message (the one with the keyboard). A keyboard not
        made with the answer is stored now."""
        parts = text_parts(message)
        sent: Message | None = None
        for number, part in enumerate(parts):
            last = number == len(parts) - 1
            if last and keyboard is None and message.options:
                keyboard = await self.keyboard(chat_id, message, part)
            sent = await bot.send_message(chat_id, part, reply_markup=keyboard if last else None)
        for file in message.files:
            sent = await send_file(bot, chat_id, file)
        assert sent is not None  # a reply has a text or files
        return sent


@dataclass(frozen=True)
class Answered:
    """Replies to one inbound message, with the keyboards stored for them (by reply index)."""

    replies: list[Outbound]
    keyboards: dict[int, InlineKeyboardMarkup]
