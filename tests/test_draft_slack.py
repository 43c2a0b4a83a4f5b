"""/draft on Slack: the document uploaded into the person's DM with files_upload_v2, through the
stand-in Web API (files.getUploadURLExternal, the POST of the bytes, files.completeUploadExternal);
a 500 on the upload is retried, a reply that cannot go out in time arrives later from the outbox,
and a client without the bot token uploads nothing."""

from __future__ import annotations

import asyncio
import io

import aiohttp
import pytest
from docx import Document
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.content.loader import Content
from bot.engine.messages import OutFile, Outbound
from bot.runtime.core import Runtime
from bot.platforms.base import RetryLater, TokenRefused, Undeliverable
from bot.platforms.handover import ReplyRetry
from bot.platforms.slack.retries import reply_retry_handlers
from bot.platforms.slack.sender import SlackSender
from tests.conftest import add_company
from tests.drafting import begun_company
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackAPI, SlackPerson, dm_of, slack_api  # noqa: F401
from tests.test_slack_no_reply_lost import reply_rows, running, until

COMPANY = "スラック株式会社"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FAST = ReplyRetry(seconds=3.0, backoff=0.05)


def sender(api: FakeSlackAPI, http: aiohttp.ClientSession, content: Content, token: str | None = BOT_TOKEN) -> SlackSender:
    client = AsyncWebClient(token=token, base_url=api.base_url, session=http, retry_handlers=reply_retry_handlers(FAST))
    return SlackSender(client, content.book)


async def refused(client: AsyncWebClient, method: str, params: dict[str, str]) -> str:
    with pytest.raises(SlackApiError) as refusal:
        await client.api_call(method, params=params)
    return str(refusal.value.response["error"])


def a_docx() -> bytes:
    document = Document()
    document.add_paragraph("下書き")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def test_the_draft_is_uploaded_into_the_dm_and_opens_as_a_docx(runtime: Runtime, slack_api: FakeSlackAPI) -> None:  # noqa: F811
    await begun_company(runtime, COMPANY, "csirt")
    person = SlackPerson()
    code = await add_company(runtime, COMPANY, "csirt", role="member")
    async with running(runtime, slack_api) as bot:
        await bot.send(person.message(f"/start {code}"))
        await bot.send(person.message("/draft csirt-description docx"))
        await bot.settle()
        await until(lambda: bool(slack_api.files_to(person.user_id)))

    [shared] = slack_api.files_to(person.user_id)
    assert shared.name == "csirt-description.docx" and shared.channel == dm_of(person.user_id)
    assert "下書きを添付しました" in shared.comment  # the reply's text travels with the file
    headings = [p.text for p in Document(io.BytesIO(shared.data)).paragraphs if p.style.name.startswith("Heading")]
    assert "3.4 権限" in headings
    steps = [c.method for c in slack_api.calls if c.method.startswith("files.") or c.method == "upload"]
    assert steps == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


async def test_a_500_on_the_upload_is_retried_and_a_missing_token_is_refused(slack_api: FakeSlackAPI, content: Content) -> None:  # noqa: F811
    message = Outbound("送付", files=(OutFile("a.docx", DOCX, a_docx()),))
    async with aiohttp.ClientSession() as http:
        slack_api.fail("upload", 500, times=2)
        await sender(slack_api, http, content).send("U0FILES01", message)
        assert [c.status for c in slack_api.calls if c.method == "upload"] == [500, 500, 200]
        [shared] = slack_api.files_to("U0FILES01")
        assert Document(io.BytesIO(shared.data)).paragraphs[0].text == "下書き"

        with pytest.raises(TokenRefused):
            await sender(slack_api, http, content, token=None).send("U0FILES01", message)
        with pytest.raises(TokenRefused):
            await sender(slack_api, http, content, token="xoxb-wrong").send("U0FILES01", message)
        slack_api.fail("upload", 500, times=1000)
        with pytest.raises(RetryLater):  # the client's bound ran out: the caller hands it over
            await sender(slack_api, http, content).send("U0FILES01", message)
        slack_api.heal()
        slack_api.fail("files.completeUploadExternal", 200, error="channel_not_found")
        with pytest.raises(Undeliverable):
            await sender(slack_api, http, content).send("C0GONE001", message)
    assert len(slack_api.shared) == 1  # nothing refused was shared


async def test_the_stand_in_refuses_what_slack_refuses(slack_api: FakeSlackAPI) -> None:  # noqa: F811
    async with aiohttp.ClientSession() as http:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack_api.base_url, session=http)
        assert await refused(client, "files.getUploadURLExternal", {"filename": "a.docx"}) == "invalid_arguments"  # no length
        url = await client.files_getUploadURLExternal(filename="a.docx", length=3)
        async with http.post(url["upload_url"], data=b"toolong") as response:
            assert response.status == 400  # not the length announced
        async with http.post(url["upload_url"].rsplit("/", 1)[0] + "/F999", data=b"abc") as response:
            assert response.status == 404
        files = f'[{{"id": "{url["file_id"]}"}}]'
        assert await refused(client, "files.completeUploadExternal", {"files": files, "channel_id": "D0FILES01"}) == "file_not_found"
        async with http.post(url["upload_url"], data=b"abc") as response:
            assert response.status == 200
        # A channel id is needed, not a user id.
        assert await refused(client, "files.completeUploadExternal", {"files": files, "channel_id": "U0FILES01"}) == "channel_not_found"
    assert slack_api.shared == []


async def test_an_upload_failing_longer_than_the_bound_arrives_from_the_outbox(runtime: Runtime, slack_api: FakeSlackAPI) -> None:  # noqa: F811
    await begun_company(runtime, COMPANY, "csirt")
    person = SlackPerson()
    code = await add_company(runtime, COMPANY, "csirt", role="member")
    async with running(runtime, slack_api, ReplyRetry(seconds=0.2, backoff=0.05)) as bot:
        await bot.send(person.message(f"/start {code}"))
        await bot.settle()
        slack_api.fail("upload", 500, times=1000)
        await bot.send(person.message("/draft csirt-description docx"))
        await bot.settle()
        assert slack_api.files_to(person.user_id) == []
        slack_api.heal()
        await until(lambda: bool(slack_api.files_to(person.user_id)))
        await asyncio.sleep(0.3)  # a second upload would arrive now

    [shared] = slack_api.files_to(person.user_id)
    assert Document(io.BytesIO(shared.data)).paragraphs
    assert [r.status for r in await reply_rows(runtime)] == ["sent"]
