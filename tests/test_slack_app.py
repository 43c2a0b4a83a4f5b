"""The real slack-bolt app in this process, on the test's event loop, against the fake Web API: what
needs a hand inside the process (a database held up, a turn that fails half-way) or a look at what
the app decided (language, App Home)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot.engine.messages import Inbound, Outbound
from bot.runtime.core import Runtime
from bot.platforms.slack.blocks import from_engine
from bot.store import repo
from tests.conftest import add_company
from tests.fakes.slack_api import (
    IDENTITY,
    FakeSlackAPI,
    Gate,
    InProcess,
    SlackPerson,
    SlackRequest,
    fixture,
    in_process_bot,  # noqa: F401 - the fixture `bot`
    slack_api,  # noqa: F401 - the fixture
    texts_of,
)


async def test_the_ack_does_not_wait_for_the_database(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    gate = Gate(runtime.handle)
    monkeypatch.setattr(runtime, "handle", gate)
    person = SlackPerson()
    press = fixture("block_actions_button")
    press["user"]["id"] = person.user_id
    press["container"]["channel_id"] = person.dm
    press["actions"][0].update(action_id="answer_0", block_id="q:99:employees", value="yes")

    try:
        event = await bot.send(person.message("hello"))
        command = await bot.send(person.command("status"))
        action = await bot.send(SlackRequest.interaction(press))
    finally:
        # Checked below, opened in any case: a turn stuck at the gate would hold up the teardown.
        was_open = gate.opened.is_set()
        gate.finished_before_open = gate.finished
        posted_before_open = len(slack_api.posts(person.user_id))
        gate.opened.set()

    # Every request was acknowledged while no turn could reach the database.
    assert (event[0], command[0], action[0]) == (200, 200, 200)
    assert not was_open and gate.finished_before_open == 0 and posted_before_open == 0
    assert "DM" in command[1]  # typed in a channel: the ack says where the answer goes

    await bot.settle()
    assert gate.finished == 3
    assert len(slack_api.posts(person.user_id)) == 3  # and then every one was answered


async def test_a_redelivery_after_a_failed_first_attempt_is_answered_once(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    import bot.runtime.core as runtime_module

    real_route = runtime_module.route
    attempts = 0

    async def route_failing_once(ctx: Any, inbound: Inbound) -> list[Outbound]:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("the turn broke after the event was claimed")
        return await real_route(ctx, inbound)

    monkeypatch.setattr(runtime_module, "route", route_failing_once)
    person = SlackPerson()
    request = person.message("/help")
    for retry in (None, 1, 2):
        status, _ = await bot.send(request, retry=retry)
        assert status == 200
        await bot.settle()

    assert attempts == 2  # the claim of the failed turn was rolled back; the third copy is a duplicate
    texts = [c.text for c in slack_api.posts(person.user_id)]
    assert texts == [
        from_engine(runtime.content.book.say("router.error", "ja")),
        from_engine(runtime.content.book.say("help.unregistered", "ja")),
    ]


async def test_first_contact_takes_the_language_and_name_from_slack(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI,  # noqa: F811
) -> None:
    english, japanese = SlackPerson("U0ENGLISH1"), SlackPerson("U0JAPANES1")
    slack_api.locales[english.user_id] = "en-US"
    await bot.send(english.message("hello"))
    await bot.send(japanese.message("hello"))
    await bot.settle()
    book = runtime.content.book
    assert slack_api.posts(english.user_id)[0].text == from_engine(book.say("intake.unreadable", "en"))
    assert slack_api.posts(japanese.user_id)[0].text == from_engine(book.say("intake.unreadable", "ja"))
    async with runtime.sessions() as session:
        person = await repo.person_by_platform(session, "slack", english.user_id)
        assert person is not None and (person.language, person.display_name) == ("en", "person-u0english1")
    # The record decides from then on: /lang ja wins over the Slack locale, and users.info is not asked again.
    asked = len(slack_api.since(0, "users.info"))
    await bot.send(english.message("/lang ja"))
    await bot.send(english.message("hello"))
    await bot.settle()
    assert slack_api.posts(english.user_id)[-1].text == from_engine(book.say("intake.unreadable", "ja"))
    assert len(slack_api.since(0, "users.info")) == asked


async def test_replies_wait_out_a_rate_limit(bot: InProcess, slack_api: FakeSlackAPI) -> None:  # noqa: F811
    person = SlackPerson()
    slack_api.fail("chat.postMessage", 429, retry_after=0)
    await bot.send(person.message("/help"))
    await bot.settle()
    attempts = slack_api.since(0, "chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert len(slack_api.posts(person.user_id)) == 1


async def test_own_messages_edits_and_other_subtypes_are_ignored(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI,  # noqa: F811
) -> None:
    person = SlackPerson()
    own = fixture("event_message_im")
    own["event"].update(user=IDENTITY["user_id"], channel=person.dm, event_id="EvOWN")
    bot_post = fixture("event_message_im")
    bot_post["event"].update(subtype="bot_message", bot_id="B0OTHER", channel=person.dm)
    bot_post["event"].pop("user")
    for body in (fixture("event_message_changed"), own, bot_post):
        body["event_id"] = f"Ev{id(body)}"
        status, _ = await bot.send(SlackRequest.event(body))
        assert status == 200
    await bot.settle()
    assert slack_api.since(0, "chat.postMessage") == []
    async with runtime.sessions() as session:
        assert await repo.person_by_platform(session, "slack", IDENTITY["user_id"]) is None
        assert await repo.person_by_platform(session, "slack", person.user_id) is None


async def test_the_app_home_shows_company_course_and_hearing_progress(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI,  # noqa: F811
) -> None:
    book = runtime.content.book
    person = SlackPerson()
    await bot.send(person.home_opened())
    await bot.settle()
    view = slack_api.since(0, "views.publish")[-1].params["view"]
    assert from_engine(book.say("start.welcome_unregistered", "ja")) in texts_of(view["blocks"])

    code = await add_company(runtime, "Sample & Co <Tokyo>", "csirt")
    await bot.send(person.command(f"start {code}", channel_id=person.dm))
    await bot.send(person.command("hearing", channel_id=person.dm))
    await bot.send(person.message("50"))  # employees
    await bot.send(person.home_opened())
    await bot.settle()
    publish = slack_api.since(0, "views.publish")[-1]
    assert publish.params["user_id"] == person.user_id
    view = publish.params["view"]
    texts = texts_of(view["blocks"])
    assert "Sample &amp; Co &lt;Tokyo&gt;" in texts  # the company, escaped
    assert book.say("course.csirt", "ja") in texts
    state = book.say("status.sheet_open", "ja")  # the company's sheet, counted as everywhere
    assert from_engine(book.say("status.sheet", "ja", total=57, given=1, state=state)) in texts

    mark = slack_api.mark()
    request = person.press_home(view, publish.response["view"]["id"], publish.response["view"]["hash"], book.say("slack.home.open_hearing", "ja"))
    await bot.send(request)
    await bot.send(request)  # a double click on the home's button
    await bot.settle()
    posts = slack_api.posts(person.user_id, mark)
    # once, and with the company's progress and its menu (continue, a section, review, submit)
    assert len(posts) == 1 and "57問中1問回答済み" in posts[0].all_text and "続きから答えますか" in posts[0].all_text
    assert len(slack_api.since(mark, "views.publish")) == 1  # refreshed after the press


async def test_the_menus_incident_button_keeps_the_report_in_the_dm(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI,  # noqa: F811
) -> None:
    person = SlackPerson()
    await bot.send(person.command("", channel_id=person.dm))
    await bot.settle()
    (menu,) = slack_api.posts(person.user_id)
    mark = slack_api.mark()
    label = runtime.content.book.say("slack.menu.incident", "ja")
    status, _ = await bot.send(person.press(slack_api.message(menu.channel, menu.ts), menu.channel, label))  # type: ignore[arg-type]
    assert status == 200
    await bot.settle()
    expected = await runtime.handle(Inbound("console", "someone-else", text="/incident"))
    (post,) = slack_api.posts(person.user_id, mark)
    assert post.blocks[0]["text"]["text"] == from_engine(expected[0].text)[:3000]
    assert slack_api.since(mark, "views.open") == []  # no modal: the question-by-question report


async def test_submitting_no_checkbox_keeps_the_question_open(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI,  # noqa: F811
) -> None:
    body = fixture("block_actions_checkboxes_submit")
    person = SlackPerson()
    body["user"]["id"] = person.user_id
    body["container"]["channel_id"] = person.dm
    body["actions"][0].update(action_id="submit", block_id="q:1:mobile_devices")
    body["state"] = {"values": {"q:1:mobile_devices": {"pick": {"type": "checkboxes", "selected_options": []}}}}
    await bot.send(SlackRequest.interaction(body))
    await bot.settle()
    (post,) = slack_api.posts(person.user_id)
    assert post.text == from_engine(runtime.content.book.say("slack.pick_first", "ja"))
    async with runtime.sessions() as session:
        assert await repo.person_by_platform(session, "slack", person.user_id) is None  # the engine was not asked


async def test_work_after_the_ack_runs_a_few_turns_at_a_time_and_urgent_work_skips_the_line() -> None:
    from bot.platforms.slack.background import Background

    background = Background(running=3)
    running, most, gate = [0], [0], asyncio.Event()
    order: list[str] = []

    async def turn(name: str) -> None:
        running[0] += 1
        most[0] = max(most[0], running[0])
        order.append(name)
        await gate.wait()
        running[0] -= 1

    for n in range(10):
        background.spawn(turn(f"t{n}"))
    background.spawn(turn("modal"), urgent=True)
    await asyncio.sleep(0.05)
    assert "modal" in order and len(order) == 4  # three turns and the urgent one; the rest wait
    gate.set()
    await background.idle()
    assert most[0] == 4 and order[:3] == ["t0", "t1", "t2"] and order[4:] == [f"t{n}" for n in range(3, 10)]


@pytest.mark.parametrize("stamp", [
    "9" * 400,   # an int, but too large for a float: int - float overflowed
    "9" * 5000,  # past Python's int() limit for a digit string (4,300)
    "", "-60", "+1700000000", "1.7e9", "0x65", " 1700000000", "1700000000\t",
])
async def test_a_malformed_or_oversized_timestamp_gets_401_not_a_traceback(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, caplog: pytest.LogCaptureFixture, stamp: str,  # noqa: F811
) -> None:
    from tests.fakes.slack_api import SIGNING_SECRET, signature

    person = SlackPerson()
    request = person.message("/help")
    headers = {
        "Content-Type": request.content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(SIGNING_SECRET, stamp, request.body),  # signed as given
    }
    async with bot.http.post(bot.url, data=request.body, headers=headers) as response:
        assert response.status == 401, await response.text()
    await bot.settle()
    assert slack_api.posts(person.user_id) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_replayed_slash_command_is_answered_once(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI,  # noqa: F811
) -> None:
    person = SlackPerson()
    code = await add_company(runtime, "A社", "csirt")
    captured = person.command(f"start {code}")
    for _ in range(3):  # the same body, signed afresh: within Slack's 5 minutes a replay verifies
        status, _ = await bot.send(captured)
        assert status == 200
        await bot.settle()
    book = runtime.content.book
    joined = from_engine(book.say("start.joined", "ja", company="A社", role=book.say("role.lead", "ja")))
    assert [c.text for c in slack_api.posts(person.user_id)] == [joined]

    # Another invocation of the same command (a new trigger_id) is a new message.
    await bot.send(person.command("status"))
    await bot.send(person.command("status"))
    await bot.settle()
    assert len(slack_api.posts(person.user_id)) == 3


async def test_a_flood_of_dms_gets_one_slow_down_post(
    bot: InProcess, runtime: Runtime, slack_api: FakeSlackAPI, clock: Any,  # noqa: F811
) -> None:
    from bot.runtime.flood import FloodGate

    runtime.flood = FloodGate()  # as `helpdesk serve slack` has it: 20 in 10 s
    person = SlackPerson()
    for _ in range(30):
        status, _ = await bot.send(person.message("/help"))
        assert status == 200  # every one acknowledged, so Slack does not send them again
    await bot.settle()
    book = runtime.content.book
    texts = [c.text for c in slack_api.posts(person.user_id)]
    assert len(texts) == 21
    assert texts[20] == from_engine(book.say("flood.slow_down", "ja", seconds=10))
    assert from_engine(book.say("flood.slow_down", "ja", seconds=10)) not in texts[:20]
    clock.advance(seconds=10)
    await bot.send(person.message("/help"))
    await bot.settle()
    assert slack_api.posts(person.user_id)[-1].text == texts[0]
