"""Answers kept between messages (bot/store/answer_cache.py) are used only while they are exactly
what the database holds: never after another process changed the conversation, never from a
transaction that rolled back."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

import bot.engine.conversations as conversations
from bot.config import async_url
from bot.content.loader import Content
from bot.engine.runtime import Runtime
from bot.store.db import make_engine, session_factory
from tests.conftest import Clock, Convo
from tests.test_incident import member, report_with_a_screenshot
from tests.test_store import start_hearing


@pytest.fixture
async def elsewhere(database_url: str, content: Content, clock: Clock) -> AsyncIterator[Convo]:
    """The same person through another engine on the same database: as another bot process."""
    engine = make_engine(async_url(database_url))
    yield Convo(Runtime(session_factory(engine), content, clock=clock))
    await engine.dispose()


async def test_answers_changed_by_another_process_are_read_again(convo: Convo, elsewhere: Convo) -> None:
    await start_hearing(convo)
    await convo.send("50")
    convo.expect("sites")
    await elsewhere.send("戻る")
    elsewhere.expect("employees")
    await elsewhere.send("70")
    elsewhere.expect("sites")
    await convo.send("戻る")
    convo.expect("employees")
    assert "現在の回答: 70" in convo.text  # not the 50 this process answered and kept


async def test_a_step_that_rolled_back_leaves_nothing_kept(
    convo: Convo, elsewhere: Convo, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start_hearing(convo)
    await convo.send("50")
    real = conversations.with_refs

    def broken(*_: object) -> None:
        raise RuntimeError("the turn broke after the step was saved")

    monkeypatch.setattr(conversations, "with_refs", broken)
    with pytest.raises(RuntimeError):
        await convo.send("3")  # saved, then rolled back: the database still has no answer to sites
    monkeypatch.setattr(conversations, "with_refs", real)
    await elsewhere.send("5")  # the same version number the rolled-back step had reached
    elsewhere.expect("pc_count")
    await convo.send("戻る")
    convo.expect("sites")
    assert "現在の回答: 5" in convo.text


async def test_a_file_sent_through_another_process_reaches_the_filed_report(runtime: Runtime, elsewhere: Convo) -> None:
    """Answers written outside a step (a file kept with a draft report) raise the conversation's
    version, so the process that files the report reads them instead of what it kept."""
    events = await report_with_a_screenshot(await member(runtime, "tanaka"), elsewhere)
    assert [e.data["name"] for e in events] == ["screen.png"]
