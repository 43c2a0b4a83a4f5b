"""Slack payloads (Slack's documented examples in tests/fixtures/slack) as the engine's Inbound."""

from __future__ import annotations

from typing import Any

from bot.platforms.slack.inbound import message_inbound, press_of
from tests.fakes.slack_api import fixture


def _event(**changes: Any) -> dict[str, Any]:
    body = fixture("event_message_im")
    body["event"].update(changes)
    return body


def test_a_dm_becomes_an_inbound_keyed_by_event_id() -> None:
    inbound = message_inbound(_event(text="backup &amp; restore &lt;daily&gt;"))
    assert inbound is not None
    assert (inbound.platform, inbound.user_id, inbound.chat_id) == ("slack", "U2147483697", "D024BE91L")
    assert inbound.text == "backup & restore <daily>"
    assert inbound.event_id == "Ev0PV52K21"
    assert inbound.choice is None and inbound.reply_to is None


def test_a_labelled_link_in_a_dm_reaches_the_engine_with_its_target() -> None:
    inbound = message_inbound(_event(text="このリンク <https://evil.example/x?id=1&amp;t=2|銀行のログイン> を押した"))
    assert inbound is not None
    assert inbound.text == "このリンク 銀行のログイン (https://evil.example/x?id=1&t=2) を押した"


def test_what_is_not_a_person_writing_to_the_bot_is_ignored() -> None:
    assert message_inbound(fixture("event_message_changed")) is None
    assert message_inbound(_event(subtype="bot_message", bot_id="B1")) is None
    assert message_inbound(_event(bot_id="B1")) is None  # the bot's own post in the DM
    assert message_inbound(_event(subtype="message_deleted")) is None
    assert message_inbound(_event(channel_type="channel")) is None
    assert message_inbound(fixture("event_app_home_opened")) is None


def test_a_file_shared_with_text_keeps_the_text_and_a_reference() -> None:
    files = [{"id": "F0S43PZDF", "name": "screenshot.png", "mimetype": "image/png", "size": 1234}]
    inbound = message_inbound(_event(subtype="file_share", text="see this", files=files))
    assert inbound is not None and inbound.text == "see this"
    assert [(a.name, a.platform_ref, a.mime_type, a.size) for a in inbound.attachments] == [
        ("screenshot.png", "F0S43PZDF", "image/png", 1234)
    ]


def test_a_button_press_names_its_question_and_message() -> None:
    body = fixture("block_actions_button")
    body["actions"][0].update(block_id="q:12:backup", action_id="answer_0", value="yes", text={"type": "plain_text", "text": "Yes"})
    press = press_of(body)
    assert press is not None
    assert (press.user_id, press.values, press.labels) == ("UA8RXUSPL", ("yes",), ("Yes",))
    assert press.question_ref == "12:backup"
    assert (press.channel, press.message_ts) == ("D0LAN2Q65", "1548261231.000200")
    assert press.key == "D0LAN2Q65:1548261231.000200:q:12:backup"
    other_button = press_of({**body, "actions": [{**body["actions"][0], "action_id": "answer_1", "value": "no"}]})
    assert other_button is not None and other_button.key == press.key  # one question, one answer


def test_a_select_and_a_checkbox_submit() -> None:
    chosen = press_of(fixture("block_actions_static_select"))
    assert chosen is not None and (chosen.values, chosen.labels) == (("matilda",), ("Matilda",))
    body = fixture("block_actions_checkboxes_submit")
    body["actions"][0]["action_id"] = "submit"
    body["state"]["values"]["actions1"] = {"pick": body["state"]["values"]["actions1"]["checkboxes-action"]}
    submitted = press_of(body)
    assert submitted is not None and submitted.values == ("value-0",)
    tick = {**body, "actions": [{"type": "checkboxes", "action_id": "pick", "block_id": "actions1", "selected_options": []}]}
    assert press_of(tick) is None  # a tick alone answers nothing


def test_a_press_on_the_app_home_is_keyed_by_the_view_version() -> None:
    body = fixture("block_actions_button")
    body["container"] = {"type": "view", "view_id": "V0001"}
    body["view"] = {"id": "V0001", "hash": "111.aaa"}
    body["actions"][0].update(action_id="menu_hearing", block_id="home_hearing", value="hearing")
    press = press_of(body)
    assert press is not None and press.in_home and press.channel is None
    republished = press_of({**body, "view": {"id": "V0001", "hash": "222.bbb"}})
    assert republished is not None and republished.key != press.key


def test_long_keys_fit_the_de_duplication_table() -> None:
    body = fixture("block_actions_button")
    body["actions"][0]["block_id"] = "q:" + "x" * 250
    press = press_of(body)
    assert press is not None and len(press.key) <= 200
