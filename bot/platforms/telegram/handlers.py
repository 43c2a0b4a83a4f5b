"""python-telegram-bot callbacks for messages (private, group, a group's migration) and errors. Each
message becomes an Inbound for the runtime, and what it answers is sent back. Presses: presses.py."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

from sqlalchemy import update as sql_update
from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.engine.messages import Inbound
from bot.runtime.core import Runtime
from bot.platforms.telegram.courier import Courier
from bot.platforms.telegram.replies import PLATFORM, Replies, person_language
from bot.platforms.telegram.updates import addressed_to_bot, id_of, inbound_from_message
from bot.store import repo
from bot.store.models import Chat

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


@dataclass(frozen=True)
class Deps:
    runtime: Runtime
    replies: Replies
    courier: Courier


async def on_private_message(deps: Deps, update: Update, context: Context) -> None:
    inbound = inbound_from_message(update, in_group=False)
    if inbound is None:
        return
    await _answer(deps, context.bot, inbound)


async def on_group_message(deps: Deps, update: Update, context: Context) -> None:
    """With privacy mode on Telegram sends a group only commands, replies and mentions; this check
    holds when privacy mode is off as well, and drops commands meant for other bots."""
    message = update.message
    if message is None:
        return
    inbound = inbound_from_message(update, in_group=True)  # first: it checks the fields read below
    if inbound is None or not addressed_to_bot(message, context.bot.username, context.bot.id):
        return
    await _answer(deps, context.bot, inbound)


async def _answer(deps: Deps, bot: Bot, inbound: Inbound) -> None:
    answered = await deps.replies.handle(deps.runtime, inbound)
    assert inbound.chat_id is not None
    count = len(answered.replies)
    log.debug("update %s: %d repl%s", inbound.event_id, count, "y" if count == 1 else "ies")
    await deps.courier.deliver(bot, inbound.chat_id, answered, inbound.event_id, inbound.user_id)


async def on_unhandled(update: Update, context: Context) -> None:
    """The last handler: an update no other handler took (another kind than the bot asked for, a
    chat type it does not serve) is ignored, with a line saying so."""
    kind = next((name for name in Update.ALL_TYPES if getattr(update, name, None) is not None), None)
    log.info("update %s ignored: %s", id_of(update), f"{kind} is not handled here" if kind else "empty")


async def on_migrate(deps: Deps, update: Update, context: Context) -> None:
    """A group that becomes a supergroup gets a new id: a linked group keeps its link."""
    message = update.message
    if message is None or message.migrate_to_chat_id is None:
        return
    async with deps.replies.sessions.begin() as session:
        await session.execute(
            sql_update(Chat)
            .where(Chat.platform == PLATFORM, Chat.chat_id == str(message.chat.id))
            .values(chat_id=str(message.migrate_to_chat_id))
        )


async def on_error(deps: Deps, update: object, context: Context) -> None:
    """Log the failure (type and where, never the message text) and tell the person."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    where = "".join(traceback.format_tb(error.__traceback__)) if error is not None else ""
    log.error("update %s failed: %s\n%s", update_id, type(error).__name__, where)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    hint = user.language_code if user is not None else None
    try:
        lang = await person_language(deps.replies.sessions, str(user.id), hint) if user else repo.language_of(hint)
    except Exception:  # noqa: BLE001 - the database may be what failed; the hint will do
        lang = repo.language_of(hint)
    try:
        await context.bot.send_message(update.effective_chat.id, deps.replies.book.say("router.error", lang))
    except TelegramError as exc:
        log.warning("could not tell chat of update %s about the failure: %s", update_id, type(exc).__name__)
