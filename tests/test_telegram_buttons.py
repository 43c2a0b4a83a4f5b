"""Buttons and failures on Telegram, in process: the real python-telegram-bot Application (our handlers,
rate limiter, error handler) fed Updates with process_update, talking to the fake Bot API."""

from __future__ import annotations

import logging
from typing import Any, AsyncIterator

import pytest
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import Application

from bot.app import App, open_app
from bot.config import Settings
from bot.engine.messages import Choice, Inbound, Outbound
from bot.platforms.telegram.application import build_application
from bot.platforms.telegram.replies import Replies
from bot.store.models import CallbackKey
from tests.conftest import add_company
from tests.fakes.telegram_api import Call, FakeTelegramAPI, TelegramUser, telegram_api

__all__ = ["telegram_api"]  # the fixture, used by name


@pytest.fixture
async def app(database_url: str, telegram_api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    monkeypatch.setenv("HELPDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("HELPDESK_TELEGRAM_API_URL", telegram_api.base_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram_api.token)
    async with open_app(Settings()) as opened:
        yield opened


@pytest.fixture
async def application(app: App, telegram_api: FakeTelegramAPI) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    built = build_application(app, telegram_api.token)
    async with built:
        yield built


class Chat:
    """A person's private chat with the in-process bot."""

    def __init__(self, application: Application, api: FakeTelegramAPI, user: TelegramUser) -> None:  # type: ignore[type-arg]
        self.application, self.api, self.user = application, api, user

    async def feed(self, update: dict[str, Any]) -> list[Call]:
        """Handle one update to the end; returns the messages the bot sent for it."""
        mark = self.api.mark()
        await self.application.process_update(Update.de_json(update, self.application.bot))
        return self.api.since(mark, "sendMessage")

    async def send(self, text: str) -> list[Call]:
        return await self.feed(self.user.text_update(text))

    async def press(self, sent: Call, label: str) -> list[Call]:
        return await self.feed(self.user.press_update(sent, label))

    def answered(self, mark: int) -> list[Any]:
        return [c.params.get("text") for c in self.api.since(mark, "answerCallbackQuery")]


@pytest.fixture
def chat(application: Application, telegram_api: FakeTelegramAPI) -> Chat:  # type: ignore[type-arg]
    return Chat(application, telegram_api, TelegramUser(telegram_api))


async def keyboard(app: App, api: FakeTelegramAPI, message: Outbound, chat_id: str = "1111111") -> Call:
    """Send a keyboard the way every reply is sent, and return what the Bot API received."""
    mark = api.mark()
    await Replies(app.sessions, app.content.book).send(build_application(app, api.token).bot, chat_id, message)
    return api.since(mark, "sendMessage")[-1]


MULTI = Outbound(
    "どれを使っていますか？", kind="question", multi=True, question_ref="1:tools",
    options=(Choice("mail", "メール"), Choice("chat", "チャット"), Choice("web", "ウェブ")),
)


async def test_a_button_whose_key_is_unknown_says_so_and_loses_its_keyboard(
    app: App, chat: Chat, telegram_api: FakeTelegramAPI
) -> None:
    sent = await keyboard(app, telegram_api, Outbound("Q", kind="question", options=(Choice("a", "A"),), question_ref="1:q"))
    async with app.sessions.begin() as session:
        await session.execute(CallbackKey.__table__.delete())
    mark = telegram_api.mark()

    replies = await chat.press(sent, "A")

    assert replies == []
    assert chat.answered(mark) == [app.content.book.say("telegram.button_expired", "ja")]
    [removed] = telegram_api.since(mark, "editMessageReplyMarkup")
    assert removed.params["message_id"] == sent.message_id and "reply_markup" not in removed.params


async def test_multi_choice_toggles_are_kept_on_the_server_and_a_repeated_toggle_counts_once(
    app: App, chat: Chat, telegram_api: FakeTelegramAPI
) -> None:
    sent = await keyboard(app, telegram_api, MULTI)
    assert [b["text"] for b in sent.buttons] == ["\u2b1c メール", "\u2b1c チャット", "\u2b1c ウェブ", "決定"]
    toggle = chat.user.press_update(sent, "ウェブ")
    mark = telegram_api.mark()

    await chat.feed(toggle)
    await chat.feed(toggle)  # the same update again

    [edited] = telegram_api.since(mark, "editMessageReplyMarkup")
    shown = [b["text"] for row in edited.params["reply_markup"]["inline_keyboard"] for b in row]
    assert shown == ["\u2b1c メール", "\u2b1c チャット", "\u2705 ウェブ", "決定"]
    async with app.sessions() as session:
        [row] = list(await session.scalars(select(CallbackKey)))
    assert row.payload["selected"] == ["web"]
    assert chat.answered(mark) == [None, None]  # both presses answered, so no spinner is left


async def test_done_with_nothing_chosen_asks_for_a_choice_and_records_nothing(
    app: App, chat: Chat, telegram_api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = await keyboard(app, telegram_api, MULTI)
    seen: list[Inbound] = []

    async def handle(inbound: Inbound, **_: object) -> list[Outbound]:  # the runtime, seen from the adapter
        seen.append(inbound)
        return []

    monkeypatch.setattr(app.runtime, "handle", handle)
    mark = telegram_api.mark()

    await chat.press(sent, "決定")

    assert seen == []
    assert chat.answered(mark) == [app.content.book.say("telegram.multi_empty", "ja")]


async def test_done_sends_the_toggled_options_in_the_questions_order(
    app: App, chat: Chat, telegram_api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = await keyboard(app, telegram_api, MULTI)
    for label in ("ウェブ", "メール", "チャット", "チャット"):  # chat toggled on, then off again
        await chat.press(sent, label)
    seen: list[Inbound] = []

    async def handle(inbound: Inbound, **_: object) -> list[Outbound]:  # the runtime, seen from the adapter
        seen.append(inbound)
        return [Outbound("次の質問", kind="question", question_ref="1:next")]

    monkeypatch.setattr(app.runtime, "handle", handle)
    mark = telegram_api.mark()

    replies = await chat.press(sent, "決定")

    assert [(i.choices, i.reply_to, i.choice) for i in seen] == [(("mail", "web"), "1:tools", None)]
    [shown] = telegram_api.since(mark, "editMessageText")
    assert shown.text == "どれを使っていますか？\n\n回答: メール、ウェブ" and "reply_markup" not in shown.params
    assert [r.text for r in replies] == ["次の質問"]


async def test_a_button_of_an_earlier_question_loses_its_keyboard_and_the_current_question_is_shown(
    app: App, chat: Chat, telegram_api: FakeTelegramAPI
) -> None:
    code = await add_company(app.runtime, "株式会社サンプル", "it-bcp")
    await chat.send(f"/start {code}")
    sent = await chat.send("/hearing")
    while not sent[-1].buttons or sent[-1].buttons[-1]["text"] == "決定":
        sent = await chat.send("1" if sent[-1].buttons else "3")  # typed, up to a one-choice question
    old = sent[-1]
    await chat.send("1")  # answered by typing: the buttons above now belong to an earlier question
    mark = telegram_api.mark()

    replies = await chat.press(old, old.buttons[0]["text"])

    assert replies[0].text == app.content.book.say("flow.stale_press", "ja")
    assert "質問" in replies[-1].text  # the current question again, with its own keyboard
    [removed] = telegram_api.since(mark, "editMessageReplyMarkup")
    assert removed.params["message_id"] == old.message_id and "reply_markup" not in removed.params
    assert not telegram_api.since(mark, "editMessageText")  # nothing shown as answered


async def test_a_button_without_a_question_sends_its_value_as_typed(
    app: App, chat: Chat, telegram_api: FakeTelegramAPI
) -> None:
    sent = await keyboard(app, telegram_api, Outbound("お知らせ", kind="notice", options=(Choice("/help", "使い方"),)))

    replies = await chat.press(sent, "使い方")

    assert replies and replies[0].text == app.content.book.say("help.unregistered", "ja")
    assert not telegram_api.since(0, "editMessageText")  # a menu keeps its buttons
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CallbackKey)) == 1


async def test_a_failing_handler_is_logged_without_the_text_and_the_person_is_told(
    app: App, chat: Chat, telegram_api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handle(inbound: Inbound, **_: object) -> list[Outbound]:  # the runtime, seen from the adapter
        raise RuntimeError(f"could not handle {inbound.text}")

    monkeypatch.setattr(app.runtime, "handle", handle)
    english = TelegramUser(telegram_api, user_id=2222222, language_code="en-GB")
    caplog.set_level(logging.ERROR, logger="bot.platforms.telegram")

    replies = await chat.feed(english.text_update("社外秘のインシデント内容"))

    assert [(r.chat_id, r.text) for r in replies] == [(2222222, app.content.book.say("router.error", "en"))]
    assert "RuntimeError" in caplog.text and "update" in caplog.text
    assert "社外秘" not in caplog.text


async def test_a_keyboard_is_stored_with_its_answer_and_a_rolled_back_one_is_never_sent(
    app: App, chat: Chat, telegram_api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keyboards are stored in the message's own transaction (Runtime.handle's before_commit): when
    that transaction fails at its commit and is run again, the keyboard of the rolled-back run is
    neither kept nor sent."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from sqlalchemy.orm.exc import StaleDataError

    import bot.platforms.telegram.replies as replies_module

    real, keys = replies_module.store_keyboard_in, []

    async def recorded(session: Any, payload: dict[str, Any], now: Any) -> str:
        keys.append(await real(session, payload, now))
        return keys[-1]

    def conflict_once(_: Session) -> None:
        if len(keys) == 1:  # the first run stored its keyboard; its commit now fails
            keys.append("rolled back")
            raise StaleDataError("another message of the same person won")

    monkeypatch.setattr(replies_module, "store_keyboard_in", recorded)
    event.listen(Session, "before_commit", conflict_once)
    try:
        [sent] = [c for c in await chat.send("/soudan") if c.buttons]
    finally:
        event.remove(Session, "before_commit", conflict_once)

    async with app.sessions() as session:
        stored = list(await session.scalars(select(CallbackKey.key)))
    assert len(keys) == 3 and stored == [keys[2]]  # the first run's key rolled back with its answer
    assert all(keys[2] in b["callback_data"] for b in sent.buttons)
    mark = telegram_api.mark()
    answered = await chat.press(sent, sent.buttons[0]["text"])
    assert answered and chat.answered(mark) == [None]  # the press found its keyboard
