"""SlackSender, as the delivery worker uses it: Slack's answers mapped to RetryLater / Undeliverable."""

from __future__ import annotations

from typing import AsyncIterator

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.content.loader import Content
from bot.engine.messages import Choice, Outbound
from bot.platforms.base import RetryLater, Undeliverable
from bot.platforms.slack import SlackSender
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackAPI, dm_of, free_port, slack_api  # noqa: F401

NOTICE = Outbound("Visit 2 is tomorrow at 10:00 <JST>", kind="notice")


@pytest.fixture
async def sender(slack_api: FakeSlackAPI, content: Content) -> AsyncIterator[SlackSender]:  # noqa: F811
    async with aiohttp.ClientSession() as http:
        yield SlackSender(AsyncWebClient(token=BOT_TOKEN, base_url=slack_api.base_url, session=http), content.book)


async def test_a_notice_to_a_user_lands_in_their_dm(sender: SlackSender, slack_api: FakeSlackAPI) -> None:  # noqa: F811
    ts = await sender.send("U0LAN0Z89", NOTICE)
    (call,) = slack_api.since(0, "chat.postMessage")
    assert ts == call.ts and call.channel == dm_of("U0LAN0Z89")
    assert call.token == BOT_TOKEN
    assert call.blocks[0]["text"]["text"] == "Visit 2 is tomorrow at 10:00 &lt;JST&gt;"


async def test_widgets_are_named_in_the_given_language(sender: SlackSender, slack_api: FakeSlackAPI, content: Content) -> None:  # noqa: F811
    options = tuple(Choice(f"v{i}", f"Option {i}") for i in range(3))
    await sender.send("U0LAN0Z89", Outbound("Which?", kind="question", options=options, multi=True, question_ref="3:q"), lang="en")
    (call,) = slack_api.since(0, "chat.postMessage")
    submit = call.actions["elements"][-1]  # type: ignore[index]
    assert submit["text"]["text"] == content.book.say("slack.submit", "en")


async def test_429_is_retry_later_with_slacks_retry_after(sender: SlackSender, slack_api: FakeSlackAPI) -> None:  # noqa: F811
    slack_api.fail("chat.postMessage", 429, retry_after=17)
    with pytest.raises(RetryLater) as raised:
        await sender.send("U0LAN0Z89", NOTICE)
    assert raised.value.retry_after == 17.0
    assert slack_api.since(0, "chat.postMessage")[0].status == 429


@pytest.mark.parametrize("status, error", [(500, "internal_error"), (503, "service_unavailable"), (200, "fatal_error")])
async def test_slacks_own_trouble_is_retry_later(
    sender: SlackSender, slack_api: FakeSlackAPI, status: int, error: str,  # noqa: F811
) -> None:
    slack_api.fail("chat.postMessage", status, error=error)
    with pytest.raises(RetryLater) as raised:
        await sender.send("U0LAN0Z89", NOTICE)
    assert raised.value.retry_after is None


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived", "user_not_found"])
async def test_a_refused_chat_is_undeliverable(sender: SlackSender, slack_api: FakeSlackAPI, error: str) -> None:  # noqa: F811
    slack_api.fail("chat.postMessage", 200, error=error)
    with pytest.raises(Undeliverable, match=error):
        await sender.send("C0NOTHERE", NOTICE)


async def test_a_network_fault_is_retry_later(content: Content) -> None:
    async with aiohttp.ClientSession() as http:
        nowhere = AsyncWebClient(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{free_port()}/api/", session=http)
        with pytest.raises(RetryLater, match="network"):
            await SlackSender(nowhere, content.book).send("U0LAN0Z89", NOTICE)


async def test_the_next_send_after_a_failure_goes_through(sender: SlackSender, slack_api: FakeSlackAPI) -> None:  # noqa: F811
    slack_api.fail("chat.postMessage", 500)
    with pytest.raises(RetryLater):
        await sender.send("U0LAN0Z89", NOTICE)
    assert await sender.send("U0LAN0Z89", NOTICE)
    assert [c.status for c in slack_api.since(0, "chat.postMessage")] == [500, 200]
