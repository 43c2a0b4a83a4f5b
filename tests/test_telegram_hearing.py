"""The hearing sheet on Telegram, black-box: `helpdesk serve telegram` (polling) in a child process,
the fake Bot API serving Updates built from the Bot API's examples, a person registering by deep link
and answering every question by pressing buttons where there are some and typing where there are
none."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.config import async_url
from bot.content.loader import Content, load_content
from bot.engine.flow import MORE
from bot.engine.render import Speaker
from bot.engine.step import FlowInput, FlowState, step
from bot.store import repo
from bot.store.db import make_engine, session_factory
from bot.store.models import CallbackKey, Conversation
from tests.fakes.telegram_api import (
    BotProcess,
    Call,
    FakeTelegramAPI,
    TelegramUser,
    fixture,
    next_update_id,
    telegram_api,
)
from tests.answering import shown_number, valid_answer
from tests.conftest import CONTENT_DIR, answers_of

pytestmark = pytest.mark.slow
__all__ = ["telegram_api"]  # the fixture, used by name

PRESSED = {"はい": "はい", "いいえ": "いいえ", "yes": "Yes", "no": "No", "高": "高", "high": "High"}


def company_code(run_cli: Any, name: str, course: str) -> str:
    added = run_cli("company", "add", name, "--course", course)
    assert added.returncode == 0, added.stderr
    return added.stdout.strip().splitlines()[-1]


def deep_link(user: TelegramUser, code: str) -> int:
    """What Telegram sends when a person opens t.me/<bot>?start=CODE and taps Start."""
    update = fixture("message_start_deep_link")
    update["update_id"] = next_update_id()
    update["message"].update(text=f"/start {code}", **{"from": user.user})
    update["message"]["chat"]["id"] = user.user_id
    mark = user.api.mark()
    user.api.push(update)
    return mark


def question_number(n: int, lang: str) -> Any:
    marker = f"質問 {n}/" if lang == "ja" else f"Question {n}/"
    return lambda c: marker in c.text


def completed(lang: str) -> Any:
    return lambda c: ("回答がそろいました" if lang == "ja" else "have an answer") in c.text  # the company's sheet


def answer(user: TelegramUser, question: Call, typed: str, lang: str) -> tuple[int, list[str]]:
    """Answer one question as a Telegram user would; returns the mark and the labels pressed."""
    if not question.buttons:
        return user.send(typed), []
    done = "決定" if lang == "ja" else "Done"
    if any(b["text"] == done for b in question.buttons):
        picks = [question.buttons[int(i) - 1]["text"].split(" ", 1)[1] for i in typed.split(",")]
        for label in picks:
            mark = user.press(question, label)
            edited = user.api.wait_for_call("editMessageReplyMarkup", mark)
            question = Call("sendMessage", {**question.params, "reply_markup": edited.params["reply_markup"]},
                            result=question.result)
            assert any(b["text"] == f"\u2705 {label}" for b in question.buttons), question.buttons
        return user.press(question, done), picks
    label = PRESSED.get(typed, typed)
    return user.press(question, label), [label]


def tokyo_today() -> date:
    return datetime.now(ZoneInfo("Asia/Tokyo")).date()  # what the bot calls today


def scripted(content: Content, course: str, lang: str) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """(question key, typed answer) for a whole hearing, worked out with the pure engine so the script
    fits whatever the content asks (groups get two entries), and the answers the engine records for
    them typed: pressing the same options on Telegram must record the same values."""
    flow = content.hearing_flow(course)
    assert flow is not None
    sp = Speaker(lang, content.book, content.words, tokyo_today())
    yes, no = ("はい", "いいえ") if lang == "ja" else ("yes", "no")
    result = step(flow, FlowState(), FlowInput("start"), sp)
    script = []
    while result.state.cursor is not None:
        current = next(s for s in flow.plan(result.state.answers) if s.key == result.state.cursor)
        if current.question.id == MORE:
            typed = yes if current.entry == 1 else no
        else:
            typed = valid_answer(current.question, lang)
        script.append((current.key, typed))
        result = step(flow, result.state, FlowInput("message", text=typed), sp)
    return script, {key: a.value for key, a in result.state.answers.items()}


async def stored(database_url: str, user_id: int) -> tuple[str, dict[str, Any], str, int]:
    """The person's hearing as the database has it: status, answers, language; and unused keyboards."""
    engine = make_engine(async_url(database_url))
    try:
        async with session_factory(engine)() as session:
            person = await repo.person_by_platform(session, "telegram", str(user_id))
            assert person is not None
            conversation = await session.scalar(select(Conversation).where(Conversation.person_id == person.id))
            assert conversation is not None
            answers = await answers_of(session, load_content(CONTENT_DIR), person, conversation)
            keys = await session.scalar(select(func.count()).select_from(CallbackKey))
            return conversation.status, {k: a.value for k, a in answers.items()}, person.language, int(keys or 0)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(("course", "lang"), [("it-bcp", "ja"), ("csirt", "en")])
def test_deep_link_registration_then_a_full_hearing_with_buttons(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, content: Content, run_cli: Any,
    course: str, lang: str,
) -> None:
    code = company_code(run_cli, "株式会社サンプル", course)
    # The person is scripted to answer as fast as the bot replies: a whole hearing is a flood by the
    # bot's rule (more than 20 messages in 10 s), so the limit is widened here (tests/test_flood.py).
    bot = BotProcess(telegram_api, database_url, tmp_path, env={"HELPDESK_FLOOD_LIMIT": "1000"})
    bot.wait_until_polling()
    user = TelegramUser(telegram_api, user_id=2222222 if lang == "en" else 1111111, language_code=lang)

    joined = user.reply(deep_link(user, code))
    assert "株式会社サンプル" in joined.text
    assert ("登録しました" if lang == "ja" else "registered with") in joined.text  # from language_code

    script, expected = scripted(content, course, lang)
    question = user.reply(user.send("/hearing"), question_number(1, lang))
    pressed_questions = 0
    keys = [key for key, _ in script]
    for number, (_, typed) in enumerate(script, 2):
        mark, pressed = answer(user, question, typed, lang)
        if pressed:
            pressed_questions += 1
            shown = telegram_api.wait_for_call(
                "editMessageText", mark, lambda c: c.params["message_id"] == question.message_id
            )
            assert "reply_markup" not in shown.params  # the keyboard is gone ...
            assert all(label in shown.text.rsplit("\n", 1)[-1] for label in pressed)  # ... the answer shows
        following = completed(lang) if number > len(script) else question_number(shown_number(keys, number - 1), lang)
        question = user.reply(mark, following)

    said = "\n".join(c.text for c in telegram_api.since(0, "sendMessage"))
    refusals = [
        t.get(lang).split("{")[0] for k, t in content.book.messages.messages.items()
        if k.startswith(("reprompt.", "flow.stale", "router."))
    ]
    assert not [r for r in refusals if len(r) >= 6 and r in said], "an answer was not understood"
    queries = telegram_api.since(0, "answerCallbackQuery")
    assert len(queries) >= pressed_questions and all(c.status == 200 for c in queries)
    assert pressed_questions > 10  # most of the sheet was answered with buttons

    status, answers, language, keys = asyncio.run(stored(database_url, user.user_id))
    assert status == "completed"
    assert language == lang
    assert answers == expected
    # every question's keyboard was used (a used key is deleted); the sheet's review/submit menu stays
    assert keys == 1
    assert bot.stop() == 0
