"""Groups on Telegram, black-box: the bot answers only commands and replies addressed to it, never runs
a flow or shows anybody's answers there, and a company lead links the group for incident notices."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import async_url
from bot.store import repo
from bot.store.db import make_engine, session_factory
from bot.store.models import SheetAnswer, Chat, Person
from tests.fakes.telegram_api import (
    BotProcess,
    Call,
    FakeTelegramAPI,
    TelegramUser,
    fixture,
    next_update_id,
    telegram_api,
)

pytestmark = pytest.mark.slow
__all__ = ["telegram_api"]  # the fixture, used by name

GROUP = fixture("group_message")["message"]["chat"]


def in_group(user: TelegramUser, text: str, chat: dict[str, Any] = GROUP, reply_to: Call | None = None) -> int:
    update = fixture("group_message")
    update["update_id"] = next_update_id()
    message = update["message"]
    message.update(message_id=next_update_id(), text=text, chat=chat, **{"from": user.user})
    message.pop("entities")
    if text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    if reply_to is not None:
        message["reply_to_message"] = user.api.message(int(reply_to.params["chat_id"]), reply_to.message_id)
    mark = user.api.mark()
    user.api.push(update)
    return mark


def group_reply(api: FakeTelegramAPI, mark: int, chat: dict[str, Any] = GROUP) -> Call:
    return api.wait_for_call("sendMessage", mark, lambda c: c.chat_id == chat["id"])


async def _rows(database_url: str, statement: Any) -> list[Any]:
    engine = make_engine(async_url(database_url))
    try:
        async with session_factory(engine)() as session:
            return list(await session.scalars(statement))
    finally:
        await engine.dispose()


def rows(database_url: str, statement: Any) -> list[Any]:
    return asyncio.run(_rows(database_url, statement))


def register(api: FakeTelegramAPI, run_cli: Any, user_id: int, role: str) -> TelegramUser:
    if role == "lead":
        made = run_cli("company", "add", "株式会社サンプル", "--course", "csirt")
    else:
        made = run_cli("invite", "株式会社サンプル", "--role", role)
    assert made.returncode == 0, made.stderr
    user = TelegramUser(api, user_id=user_id, first_name=role)
    assert "登録しました" in user.reply(user.send(f"/start {made.stdout.strip().splitlines()[-1]}")).text
    return user


def test_a_group_gets_commands_only_never_answers_and_a_lead_links_it(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, run_cli: Any
) -> None:
    bot = BotProcess(telegram_api, database_url, tmp_path)
    bot.wait_until_polling()
    lead = register(telegram_api, run_cli, 1111111, "lead")
    member = register(telegram_api, run_cli, 3333333, "member")
    stranger = TelegramUser(telegram_api, user_id=4444444, first_name="stranger")
    member.reply(member.send("/hearing"), lambda c: "質問 1/" in c.text)
    member.reply(member.send("57"), lambda c: "質問 2/" in c.text)  # the member's private answer
    start = telegram_api.mark()

    in_group(member, "おはようございます")  # not addressed to the bot: ignored
    in_group(member, "/start@other_bot")  # another bot's command: ignored
    private_only = group_reply(telegram_api, in_group(member, "/hearing"))
    assert "個人チャット" in private_only.text
    status = group_reply(telegram_api, in_group(member, "/status@helpdesk_test_bot"))
    assert "登録されていません" in status.text
    assert "主担当者のみ" in group_reply(telegram_api, in_group(member, "/link")).text
    assert "招待コード" in group_reply(telegram_api, in_group(stranger, "/link")).text  # register first
    code = run_cli("invite", "株式会社サンプル").stdout.strip().splitlines()[-1]
    assert "個人チャット" in group_reply(telegram_api, in_group(stranger, f"/start {code}")).text
    assert "個人チャット" in group_reply(telegram_api, in_group(member, "58", reply_to=status)).text
    assert "個人チャット" in group_reply(telegram_api, in_group(member, "@helpdesk_test_bot 進捗は？")).text

    linked = group_reply(telegram_api, in_group(lead, "/link@helpdesk_test_bot"))
    assert "株式会社サンプル のインシデント連絡先として登録しました" in linked.text
    assert "すでに" in group_reply(telegram_api, in_group(lead, "/start@helpdesk_test_bot link")).text  # startgroup=link
    status = group_reply(telegram_api, in_group(member, "/status"))
    assert "株式会社サンプル のインシデント連絡先です" in status.text
    assert "/link" in group_reply(telegram_api, in_group(stranger, "/help")).text

    to_group = [c for c in telegram_api.since(start, "sendMessage") if c.chat_id == GROUP["id"]]
    assert len(to_group) == 11  # one answer per addressed message, none for the two others
    group_text = "\n".join(c.text for c in to_group)
    assert "57" not in group_text and "質問" not in group_text  # nobody's answers or questions
    assert not [c for c in to_group if c.buttons]  # no flow, so no keyboard, in a group
    assert not telegram_api.since(start, "sendMessage", member.user_id)  # nor replies sent privately

    chats = rows(database_url, select(Chat))
    assert [(c.platform, c.chat_id, c.purpose) for c in chats] == [("telegram", str(GROUP["id"]), "incidents")]
    people = {p.platform_user_id: p for p in rows(database_url, select(Person))}
    assert people[str(stranger.user_id)].company_id is None  # the code was not redeemed in the group
    member_answers = rows(database_url, select(SheetAnswer.raw_text))
    assert member_answers == ["57"]  # "58" in the group answered nothing
    assert bot.stop() == 0


def test_a_linked_group_that_becomes_a_supergroup_stays_linked_and_can_be_unlinked(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, run_cli: Any
) -> None:
    bot = BotProcess(telegram_api, database_url, tmp_path)
    bot.wait_until_polling()
    lead = register(telegram_api, run_cli, 1111111, "lead")
    migrated = fixture("group_migrated")
    old_chat = migrated["message"]["chat"]
    new_chat = {"id": migrated["message"]["migrate_to_chat_id"], "title": old_chat["title"], "type": "supergroup"}
    group_reply(telegram_api, in_group(lead, "/link", chat=old_chat), chat=old_chat)

    migrated["update_id"] = next_update_id()
    migrated["message"]["from"] = lead.user
    telegram_api.push(migrated)
    status = group_reply(telegram_api, in_group(lead, "/status", chat=new_chat), chat=new_chat)

    assert "株式会社サンプル のインシデント連絡先です" in status.text
    assert [c.chat_id for c in rows(database_url, select(Chat))] == [str(new_chat["id"])]
    unlinked = group_reply(telegram_api, in_group(lead, "/unlink", chat=new_chat), chat=new_chat)
    assert "解除しました" in unlinked.text
    assert rows(database_url, select(Chat)) == []
    assert bot.stop() == 0


async def test_groups_are_platform_neutral(runtime: Any) -> None:
    """The same rules on any platform with groups (here the console's Inbound)."""
    from bot.engine.messages import Inbound

    replies = await runtime.handle(Inbound("console", "tanaka", text="/hearing", chat_id="room", in_group=True))
    assert [r.kind for r in replies] == ["text"]
    assert replies[0].text == runtime.content.book.say("group.private_only", "ja")
    async with runtime.sessions() as session:
        person = await repo.person_by_platform(session, "console", "tanaka")
        assert person is not None
        assert await repo.active_conversation(session, person.id) is None


async def test_status_in_a_linked_group_names_the_company_to_its_own_people_only(runtime: Any) -> None:
    # Review finding: /status in a linked group named the company to everyone in the group.
    from bot.engine.messages import Inbound
    from tests.conftest import add_company

    code = await add_company(runtime, "株式会社サンプル", "csirt")
    await runtime.handle(Inbound("console", "tanaka", text=f"/start {code}"))
    async with runtime.sessions.begin() as session:
        company = await repo.company_by_name(session, "株式会社サンプル")
        assert company is not None
        session.add(Chat(platform="console", chat_id="room", company_id=company.id, purpose="incidents", created_at=runtime.clock()))
    book = runtime.content.book

    async def status(user: str) -> str:
        [reply] = await runtime.handle(Inbound("console", user, text="/status", chat_id="room", in_group=True))
        return reply.text

    assert await status("tanaka") == book.say("group.status_linked", "ja", company="株式会社サンプル")
    outsider = await status("guest")
    assert outsider == book.say("group.status_linked_unnamed", "ja") and "サンプル" not in outsider
