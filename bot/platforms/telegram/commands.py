"""The command menus Telegram shows when a person types "/": Japanese, English, and a Japanese default
for every other app language; one menu for private chats, a shorter one for groups."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeDefault
from telegram.error import InvalidToken, TelegramError

from bot.engine.i18n import MessageBook

log = logging.getLogger(__name__)

# /incident and /soudan are routed like any other command (the engine answers them once they exist).
PRIVATE_COMMANDS = ("start", "hearing", "incident", "soudan", "visits", "events", "status", "help", "cancel", "lang")
# Telegram command names are unique per menu, so the group menu's descriptions have their own keys.
GROUP_COMMANDS = {"link": "link", "unlink": "unlink", "status": "group_status", "help": "group_help"}
LANGUAGES: tuple[str | None, ...] = (None, "ja", "en")  # None: the default for other app languages


def menu(book: MessageBook, lang: str, group: bool) -> list[BotCommand]:
    entries = GROUP_COMMANDS.items() if group else ((name, name) for name in PRIVATE_COMMANDS)
    return [BotCommand(name, book.say(f"telegram.command.{key}", lang)) for name, key in entries]


async def register_commands(bot: Bot, book: MessageBook) -> None:
    """A menu that cannot be set is logged, not fatal: every command works typed as well."""
    for language_code in LANGUAGES:
        lang = language_code or "ja"
        for group, scope in ((False, BotCommandScopeDefault()), (True, BotCommandScopeAllGroupChats())):
            try:
                await bot.set_my_commands(menu(book, lang, group), scope=scope, language_code=language_code)
            except InvalidToken:
                raise
            except TelegramError as exc:
                log.warning("setMyCommands failed (%s); the menu may be out of date", type(exc).__name__)
