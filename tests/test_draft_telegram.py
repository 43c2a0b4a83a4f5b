"""/draft on Telegram: the document sent with sendDocument (a multipart upload) through the stand-in
Bot API, after the reply's text; a 500 on the upload is retried, one failing past the bound arrives
from the outbox without the text again, and a wrong token uploads nothing."""

from __future__ import annotations

import asyncio
import io

import pytest
from docx import Document
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.app import App
from bot.engine.messages import OutFile, Outbound
from bot.platforms.base import TokenRefused
from bot.platforms.handover import ReplyRetry
from bot.platforms.telegram.replies import Replies
from bot.platforms.telegram.sender import TelegramSender
from tests.conftest import add_company
from tests.drafting import begun_company
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramUser, telegram_api
from tests.test_telegram_buttons import app
from tests.test_telegram_no_reply_lost import delivered, push, reply_rows, running, until

__all__ = ["app", "telegram_api"]  # fixtures, used by name

COMPANY = "テレグラム株式会社"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def headings(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs if p.style.name.startswith("Heading")]


async def test_the_draft_arrives_as_a_document_after_the_text(app: App, telegram_api: FakeTelegramAPI) -> None:
    await begun_company(app.runtime, COMPANY, "csirt")
    person = TelegramUser(telegram_api)
    code = await add_company(app.runtime, COMPANY, "csirt", role="member")
    telegram_api.fail("sendDocument", 500, times=2)  # retried within the turn's bound
    async with running(app, telegram_api) as application:
        await push(application, [person.text_update(f"/start {code}"), person.text_update("/draft csirt-description docx")])
        await until(lambda: bool(telegram_api.documents_to(person.user_id)))
        await asyncio.sleep(0.3)  # a second upload would arrive now

    [document] = telegram_api.documents_to(person.user_id)
    assert document.file_name == "csirt-description.docx" and "3.4 権限" in headings(document.data)
    assert "下書きを添付しました" in delivered(telegram_api, person)[-1]
    assert [c.status for c in telegram_api.calls if c.method == "sendDocument"] == [500, 500, 200]
    assert await reply_rows(app) == []


async def test_an_upload_failing_past_the_bound_comes_from_the_outbox_without_the_text_again(
    app: App, telegram_api: FakeTelegramAPI,
) -> None:
    await begun_company(app.runtime, COMPANY, "csirt")
    person = TelegramUser(telegram_api)
    code = await add_company(app.runtime, COMPANY, "csirt", role="member")
    telegram_api.fail("sendDocument", 500, times=4)
    async with running(app, telegram_api, ReplyRetry(seconds=0.1, backoff=0.05)) as application:
        await push(application, [person.text_update(f"/start {code}"), person.text_update("/draft csirt-description docx")])
        await until(lambda: bool(telegram_api.documents_to(person.user_id)))
        await asyncio.sleep(0.3)

    assert len(telegram_api.documents_to(person.user_id)) == 1
    assert sum("下書きを添付しました" in t for t in delivered(telegram_api, person)) == 1
    assert [r.status for r in await reply_rows(app)] == ["sent"]


async def test_a_wrong_token_is_refused_and_the_stand_in_wants_a_real_upload(app: App, telegram_api: FakeTelegramAPI) -> None:
    message = Outbound("送付", files=(OutFile("a.md", "text/markdown", "# 下書き\n".encode()),))
    bot = ExtBot(telegram_api.token, base_url=telegram_api.base_url)
    async with TelegramSender(bot, Replies(app.sessions, app.content.book)) as sender:
        right, telegram_api.token = telegram_api.token, "999:OTHER"  # the bot's token revoked
        with pytest.raises(TokenRefused):
            await sender.send("1111111", message)
        telegram_api.token = right
    assert telegram_api.documents == [] and telegram_api.calls[-1].method != "sendDocument"  # 401s are not recorded

    bot = ExtBot(telegram_api.token, base_url=telegram_api.base_url)
    async with bot:
        with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
            await bot.send_document(1111111, document="not-a-file-id")
        with pytest.raises(BadRequest, match="(?i)non-empty"):
            await bot.send_document(1111111, document=b"", filename="empty.md")
        sent = await bot.send_document(1111111, document=b"# x\n", filename="x.md")
        again = await bot.send_document(1111111, document=sent.document.file_id)  # type: ignore[union-attr]
    assert [d.file_name for d in telegram_api.documents] == ["x.md", "x.md"] and again.document is not None
