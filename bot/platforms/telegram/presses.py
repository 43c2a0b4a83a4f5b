"""Button presses (callback queries): a toggle of a multi-choice keyboard stays on the server; a
choice or "done" becomes an Inbound for the runtime, and the pressed question then shows the answer
in place of its keyboard. The query is always answered, so the button stops spinning."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete
from telegram import Bot, CallbackQuery, Chat as TelegramChat, Update
from telegram.error import BadRequest

from bot.engine.messages import Inbound, Outbound
from bot.platforms.telegram.buttons import DONE, labels_of, markup, parse_callback_data, toggled
from bot.platforms.telegram.handlers import Context, Deps
from bot.platforms.telegram.replies import PLATFORM, person_language
from bot.platforms.telegram.updates import id_of
from bot.store import repo
from bot.store.models import CallbackKey, utcnow

log = logging.getLogger(__name__)


async def on_press(deps: Deps, update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    notice: str | None = None
    try:
        notice = await _press(deps, update, query, context.bot)
    finally:
        # Always answered, so the button stops spinning, even when handling failed.
        try:
            await query.answer(notice)
        except BadRequest as exc:  # e.g. "query is too old": nothing left to stop
            log.info("answerCallbackQuery refused: %s", exc.message)


async def _press(deps: Deps, update: Update, query: CallbackQuery, bot: Bot) -> str | None:
    """Returns the short notice to show on the button, if any."""
    message = query.message
    chat = message.chat if message is not None else None
    if message is None or chat is None or chat.type != TelegramChat.PRIVATE:
        log.info("update %s ignored: a press outside a private chat", id_of(update))
        return None  # keyboards are only ever sent to private chats
    user = query.from_user
    book, sessions = deps.replies.book, deps.replies.sessions
    lang = await person_language(sessions, str(user.id), user.language_code)
    press = parse_callback_data(query.data)
    payload: dict[str, Any] | None = None
    toggle = False
    async with sessions.begin() as session:
        row = await session.get(CallbackKey, press.key, with_for_update=True) if press else None
        if press is not None and row is not None and row.payload.get("chat") == str(chat.id):
            payload = dict(row.payload)
            toggle = payload["multi"] and press.action != DONE
            if toggle:
                # A toggle changes only the keyboard, but an update id still counts once.
                if not await repo.claim_event(session, PLATFORM, str(update.update_id), utcnow()):
                    return None
                payload = toggled(payload, int(press.action))
                if payload is not None:
                    row.payload = payload
    if press is None or payload is None:
        log.info("update %s ignored: a press of an unknown or used keyboard (told it expired)", id_of(update))
        await _quietly(bot.edit_message_reply_markup(chat.id, message.message_id, reply_markup=None))
        return book.say("telegram.button_expired", lang)
    if toggle:
        done = book.say("telegram.multi_done", lang)
        await _quietly(bot.edit_message_reply_markup(
            chat.id, message.message_id, reply_markup=markup(press.key, payload, done)
        ))
        return None

    inbound, chosen = _inbound_for(payload, press.action, update, str(chat.id))
    if inbound is None:
        return book.say("telegram.multi_empty" if payload["multi"] else "telegram.button_expired", lang)
    answered = await deps.replies.handle(deps.runtime, inbound)
    if not answered.replies:
        return None  # a repeated update: it was handled the first time
    await _settle(deps, bot, press.key, payload, answered.replies, chat.id, message.message_id, chosen, lang)
    await deps.courier.deliver(bot, str(chat.id), answered, inbound.event_id, inbound.user_id)
    return None


def _inbound_for(
    payload: dict[str, Any], action: str, update: Update, chat_id: str
) -> tuple[Inbound | None, list[str]]:
    user = update.effective_user
    assert user is not None
    base: dict[str, Any] = dict(
        platform=PLATFORM, user_id=str(user.id), chat_id=chat_id, display_name=user.full_name,
        language=user.language_code, event_id=str(update.update_id),
    )
    if payload["multi"]:
        picked = list(payload.get("selected", ()))
        if not picked:
            return None, []
        return Inbound(choices=tuple(picked), reply_to=payload["ref"], **base), picked
    index = int(action) if action.isdecimal() else -1
    if not 0 <= index < len(payload["options"]):
        return None, []
    value = payload["options"][index][0]
    if payload["ref"] is None:
        return Inbound(text=value, **base), [value]
    return Inbound(choice=value, reply_to=payload["ref"], **base), [value]


async def _settle(
    deps: Deps, bot: Bot, key: str, payload: dict[str, Any], replies: list[Outbound],
    chat_id: int, message_id: int, chosen: list[str], lang: str,
) -> None:
    """After a press: an accepted answer is shown in place of the keyboard; a refused one (the button
    of an earlier question) loses its keyboard; a failure (busy database) keeps it for another try."""
    if any(r.kind == "error" for r in replies) or payload["ref"] is None or payload.get("lasting"):
        return  # a lasting keyboard (a filing reply's parts) stays for the next press
    book = deps.replies.book
    if any(r.kind == "reprompt" for r in replies):
        await _quietly(bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None))
    else:
        answer = book.say("unit.list_join", lang).join(labels_of(payload, chosen))
        text = f"{payload['text']}\n\n{book.say('telegram.answered', lang, answer=answer)}"
        await _quietly(bot.edit_message_text(text, chat_id, message_id))
    async with deps.replies.sessions.begin() as session:
        await session.execute(delete(CallbackKey).where(CallbackKey.key == key))


async def _quietly(call: Any) -> None:
    """Edits are cosmetic: a message too old to edit, or already showing this, is not an error."""
    try:
        await call
    except BadRequest as exc:
        log.info("edit refused: %s", exc.message)
