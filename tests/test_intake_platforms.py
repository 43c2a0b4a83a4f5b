"""The free-text intake on Telegram: candidates become an inline keyboard, a press goes where it
says, through the real python-telegram-bot Application and the stand-in Bot API."""

from __future__ import annotations

from bot.app import App
from tests.fakes.telegram_api import FakeTelegramAPI, telegram_api
from tests.test_telegram_buttons import Chat, app, application, chat

__all__ = ["app", "application", "chat", "telegram_api"]  # fixtures, used by name


async def test_candidates_are_an_inline_keyboard_and_none_of_these_opens_the_quick_list(
    app: App, chat: Chat, telegram_api: FakeTelegramAPI
) -> None:
    book = app.content.book
    [offer] = await chat.send("ネットがつながらないんだけど")
    labels = [b["text"] for b in offer.buttons]
    assert "インターネットの不調" in labels and labels[-1] == book.say("intake.none", "ja")
    replies = await chat.press(offer, book.say("intake.none", "ja"))
    assert "PCやスマホの調子が悪い" in [b["text"] for b in replies[-1].buttons]


async def test_an_emergency_shows_first_steps_in_one_message(app: App, chat: Chat, telegram_api: FakeTelegramAPI) -> None:
    replies = await chat.send("ランサムウェアに感染してファイルが暗号化された")
    text = "\n".join(str(r.params.get("text")) for r in replies)
    assert app.content.book.say("triage.first_steps", "ja") in text
    assert app.content.book.say("triage.register_to_report", "ja") in text  # not registered: no report button
