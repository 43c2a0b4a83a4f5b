"""A triage walk (/soudan) that ends in an incident report, on Telegram, black-box; the escalation
then reaches the company's linked group through the outbox and TelegramSender."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.app import open_app
from bot.config import Settings
from bot.platforms.telegram import telegram_sender
from scheduler.delivery import deliver_due
from tests.fakes.telegram_api import BotProcess, FakeTelegramAPI, TelegramUser, telegram_api
from tests.test_telegram_groups import GROUP, group_reply, in_group, register

pytestmark = pytest.mark.slow
__all__ = ["telegram_api"]  # the fixture, used by name


def with_buttons(user: TelegramUser, mark: int) -> Any:
    return user.reply(mark, lambda c: bool(c.buttons))


async def outbox_status() -> dict[str, str]:
    """Each queued chat and its row's status."""
    from sqlalchemy import select

    from bot.store.models import OutboxRow

    async with open_app(Settings()) as app, app.sessions() as session:
        return {row.chat_id: row.status for row in await session.scalars(select(OutboxRow))}


async def deliver(api: FakeTelegramAPI) -> int:
    """Run the outbox delivery worker once for Telegram, as the scheduler process does."""
    async with open_app(Settings()) as app, telegram_sender(app) as sender:
        return (await deliver_due(app.sessions, sender)).sent


def test_a_triage_walk_by_buttons_files_an_incident_that_reaches_the_linked_group(
    telegram_api: FakeTelegramAPI, database_url: str, tmp_path: Path, run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bot = BotProcess(telegram_api, database_url, tmp_path)
    bot.wait_until_polling()
    lead = register(telegram_api, run_cli, 1111111, "lead")
    member = register(telegram_api, run_cli, 3333333, "member")
    assert "登録しました" in group_reply(telegram_api, in_group(lead, "/link")).text

    question = with_buttons(member, member.send("/soudan"))
    assert "どうしましたか？" in question.text
    question = with_buttons(member, member.press(question, "セキュリティ侵害が発生している"))
    question = with_buttons(member, member.press(question, "Word"))
    mark = member.press(question, question.buttons[0]["text"])  # one PC only
    outcome = member.reply(mark, lambda c: "【今すぐやること】" in c.text)
    offer = member.reply(mark, lambda c: "インシデント報告を作成しますか" in c.text)
    contacts = member.reply(member.press(outcome, "連絡先"), lambda c: "【相談・届出先】" in c.text)
    assert "JPCERT/CC" in contacts.text  # one press away, under the leaf's first reply
    member.reply(member.press(offer, "はい"), lambda c: "何が起きているか" in c.text)  # report it: own words asked
    question = with_buttons(member, member.send("Wordの添付を開いたらマクロの警告が出た"))
    question = with_buttons(member, member.press(question, "業務が止まっている"))
    filing = member.press(question, "広がっていない")
    filed = member.reply(filing, lambda c: "INC-2026-0001" in c.text)
    assert "緊急" in filed.text
    shown = member.reply(member.send("/incident show INC-2026-0001"), lambda c: "【経過】" in c.text)
    assert "INC-2026-0001" in shown.text
    edits = telegram_api.since(0, "editMessageText")
    assert any(e.text.endswith("広がっていない") for e in edits)  # each pressed question shows its answer
    assert bot.stop() == 0

    monkeypatch.setenv("HELPDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram_api.token)
    monkeypatch.setenv("HELPDESK_TELEGRAM_API_URL", telegram_api.base_url)
    # `serve telegram` delivers its own notices too, so some may have gone out before it stopped:
    # deliver the rest, then read who the escalation was queued for and what the Bot API received.
    asyncio.run(deliver(telegram_api))
    queued = asyncio.run(outbox_status())
    assert len(queued) >= 2 and set(queued.values()) == {"sent"}  # the lead and the group at least
    notices = telegram_api.since(filing, "sendMessage")
    assert any(c.chat_id == GROUP["id"] and "INC-2026-0001" in c.text for c in notices)
    assert any(c.chat_id == lead.user_id for c in notices)
    assert str(member.user_id) not in queued  # the reporter already has it
