"""Storage behaviour the adapters and flows rely on: de-duplication, append-only answers, optimistic
locking, invitation codes. Runs on SQLite or PostgreSQL (HELPDESK_DATABASE_URL)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from bot.runtime.core import Runtime
from bot.store import repo, sheets
from bot.store.models import Conversation, Person, SheetAnswer
from bot.config import async_url
from bot.store.db import make_engine
from tests.conftest import ON_POSTGRES, Clock, Convo, add_company


async def start_hearing(convo: Convo) -> None:
    code = await add_company(convo.runtime, "株式会社サンプル", "csirt")
    await convo.send(f"/start {code}")
    await convo.send("/hearing")


async def answers_of(runtime: Runtime) -> list[SheetAnswer]:
    """The hearing's stored answers: the company's sheet, append-only."""
    async with runtime.sessions() as session:
        return list(await session.scalars(select(SheetAnswer).order_by(SheetAnswer.id)))


async def test_the_same_event_delivered_twice_is_processed_once(convo: Convo) -> None:
    await start_hearing(convo)
    first = await convo.send("50", event_id="evt-1")
    again = await convo.send("60", event_id="evt-1")
    assert first and again == []
    assert [a.raw_text for a in await answers_of(convo.runtime)] == ["50"]


async def test_an_event_whose_processing_failed_is_processed_on_redelivery(convo: Convo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dropping every retry would lose it: the de-duplication row rolls back with the failure."""
    await start_hearing(convo)
    import bot.runtime.core as runtime_module

    async def broken(ctx, inbound):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(runtime_module, "route", broken)
    with pytest.raises(RuntimeError):
        await convo.send("50", event_id="evt-2")
    monkeypatch.undo()
    assert await convo.send("50", event_id="evt-2")
    assert [a.raw_text for a in await answers_of(convo.runtime)] == ["50"]


async def test_sql_looking_text_and_emoji_are_stored_verbatim(convo: Convo) -> None:
    await start_hearing(convo)
    for _ in range(40):
        step = await convo.current_step()
        assert step is not None
        if step.question.type == "text":
            break
        from tests.answering import valid_answer

        await convo.send(valid_answer(step.question))
    else:
        pytest.fail("no text question in the first forty")
    hostile = "Robert'); DROP TABLE answers;-- 🛡️👨‍💻"
    await convo.send(hostile)
    rows = await answers_of(convo.runtime)
    assert rows[-1].raw_text == hostile and rows[-1].value == hostile


async def test_changed_answers_are_appended_not_overwritten(convo: Convo) -> None:
    await start_hearing(convo)
    await convo.send("50")
    await convo.send("戻る")
    await convo.send("70")
    rows = await answers_of(convo.runtime)
    assert [(r.question_key, r.value) for r in rows] == [("employees", 50), ("employees", 70)]
    async with convo.runtime.sessions() as session:
        assert (await sheets.given_answers(session, rows[0].sheet_id))["employees"].answer.value == 70


@asynccontextmanager
async def two_views(convo: Convo) -> AsyncIterator[tuple[AsyncSession, Conversation, AsyncSession, Conversation]]:
    """The person's conversation read in two sessions at once, as two processes would."""
    await start_hearing(convo)
    sessions = convo.runtime.sessions
    async with sessions() as first, sessions() as second:
        a = await first.scalar(select(Conversation))
        b = await second.scalar(select(Conversation))
        assert a is not None and b is not None
        yield first, a, second, b


async def test_optimistic_locking_refuses_a_stale_conversation_update(convo: Convo) -> None:
    async with two_views(convo) as (first, a, second, b):
        a.current_step = "sites"
        await first.commit()
        b.current_step = "pc_count"
        with pytest.raises(StaleDataError):
            await second.commit()


async def test_saving_a_step_refuses_a_stale_conversation_and_keeps_the_winner(convo: Convo) -> None:
    """The step's own UPDATE (repo.save_conversation) checks the version as the ORM does."""
    async with two_views(convo) as (first, a, second, b):
        await repo.save_conversation(first, a, current_step="sites")
        await first.commit()
        assert a.version == b.version + 1
        with pytest.raises(StaleDataError):
            await repo.save_conversation(second, b, current_step="pc_count")
        await second.rollback()
    async with convo.runtime.sessions() as session:
        stored = await session.scalar(select(Conversation))
        assert stored is not None and (stored.current_step, stored.version) == ("sites", a.version)
        assert stored not in session.dirty


async def test_invitation_codes(runtime: Runtime, clock: Clock) -> None:
    code = await add_company(runtime, "株式会社サンプル", "csirt", role="member", uses=1)
    alice, bob = Convo(runtime, "alice"), Convo(runtime, "bob")
    await alice.send(f"/start {code.lower()}")  # codes are case-insensitive
    assert "登録しました" in alice.text
    await alice.send(f"/start {code}")
    assert "すでに" in alice.text  # joining twice is harmless
    await bob.send(f"/start {code}")
    assert "すでに使われています" in bob.text
    await bob.send("/start NOSUCHCODE")
    assert "見つかりません" in bob.text
    expiring = await add_company(runtime, "株式会社サンプル", "csirt", uses=5)
    clock.advance(days=15)
    await bob.send(f"/start {expiring}")
    assert "有効期限" in bob.text
    async with runtime.sessions() as session:
        people = {p.platform_user_id: p for p in await session.scalars(select(Person))}
    assert people["alice"].company_id is not None and people["alice"].role == "member"
    assert people["bob"].company_id is None


async def test_person_language_comes_from_the_platform_hint(runtime: Runtime) -> None:
    english = Convo(runtime, "smith", language="en-GB")
    await english.send("/help")
    assert "What you can do" in english.text
    await english.send("/lang ja")
    await english.send("/help")
    assert "使い方" in english.text


async def test_claim_event_directly(runtime: Runtime, clock: Clock) -> None:
    async with runtime.sessions.begin() as session:
        assert await repo.claim_event(session, "slack", "Ev1", clock())
        assert not await repo.claim_event(session, "slack", "Ev1", clock())
        assert await repo.claim_event(session, "telegram", "Ev1", clock())  # per platform


async def test_a_flow_is_stored_once_and_its_snapshot_rebuilds_the_same_flow(convo: Convo) -> None:
    from bot.engine.flow import CompiledFlow
    from bot.store.models import FlowSnapshot

    await start_hearing(convo)
    code = await add_company(convo.runtime, "株式会社サンプル", "csirt")
    sato = convo.as_user("sato")
    await sato.send(f"/start {code}")
    await sato.send("/hearing")
    sato.expect("employees")
    async with convo.runtime.sessions() as session:
        rows = list(await session.scalars(select(FlowSnapshot)))
    assert [row.version for row in rows] == [convo.runtime.content.hearing_flow("csirt").version]
    assert CompiledFlow.from_snapshot(rows[0].body).version == rows[0].version


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own pragmas")
async def test_every_sqlite_connection_syncs_each_commit(database_url: str) -> None:
    """synchronous=FULL: a commit is on disk before the answer is acknowledged, power cut or not
    (NORMAL, in WAL mode, could lose the last commits on a power cut)."""
    engine = make_engine(async_url(database_url))
    try:
        async with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                assert (await connection.exec_driver_sql("PRAGMA synchronous")).scalar() == 2  # FULL
                assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        await engine.dispose()


async def test_wakaranai_is_stored_and_read_back_apart_from_a_skip(convo: Convo) -> None:
    await start_hearing(convo)
    await convo.send("分からない")  # employees, required
    await convo.send("skip")  # sites, optional
    rows = await answers_of(convo.runtime)
    assert [(r.question_key, r.value, r.unknown, r.skipped) for r in rows] == [
        ("employees", None, True, False), ("sites", None, False, True),
    ]
    async with convo.runtime.sessions() as session:
        answers = {k: g.answer for k, g in (await sheets.given_answers(session, rows[0].sheet_id)).items()}
    assert (answers["employees"].unknown, answers["employees"].skipped) == (True, False)
    assert (answers["sites"].unknown, answers["sites"].skipped) == (False, True)
