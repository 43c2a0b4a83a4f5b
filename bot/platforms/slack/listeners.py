"""The slack-bolt listeners: each acknowledges at once, with nothing slow before the ack (no
database, no Web API call), and hands the turn to Background.

Events are acknowledged by slack-bolt itself before the listener runs; commands, actions and
shortcuts call ack() first. A request this app does not handle gets slack-bolt's 404.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.engine.messages import Inbound
from bot.platforms.slack import incident
from bot.platforms.slack.background import Background
from bot.platforms.slack.blocks import ANSWER, MENU_ITEM, PICK, SUBMIT
from bot.platforms.slack.commands import COMMAND, engine_text
from bot.platforms.slack.dialogue import Dialogue
from bot.platforms.slack.inbound import PLATFORM, message_inbound, press_of

_INCIDENT_ITEM = f"{MENU_ITEM}incident"


def register(bolt: AsyncApp, dialogue: Dialogue, background: Background) -> None:
    @bolt.event("message")  # every subtype, so none is left unacknowledged; message_inbound filters
    async def on_message(body: dict[str, Any]) -> None:
        inbound = message_inbound(body)
        if inbound is not None and inbound.chat_id:
            background.spawn(dialogue.converse(inbound, inbound.chat_id))

    @bolt.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any]) -> None:
        if event.get("tab") == "home" and event.get("user"):
            background.spawn(dialogue.publish_home(event["user"]))

    @bolt.command(COMMAND)
    async def on_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        user = body["user_id"]
        await ack(**dialogue.command_ack(user, body.get("channel_id")))
        text = engine_text(body.get("text") or "")
        if text is None:
            background.spawn(dialogue.show_menu(user))
        elif text == incident.ENGINE_COMMAND:  # a new report; "incident status" and the like are the engine's
            background.spawn(incident.report(dialogue, user, body.get("trigger_id")))
        else:
            background.spawn(dialogue.converse(Inbound(PLATFORM, user, text=text), dialogue.dm(user)))

    @bolt.action(PICK)  # a checkbox ticked: the submit button sends the set
    async def on_pick(ack: AsyncAck) -> None:
        await ack()

    @bolt.action(re.compile(f"^({re.escape(ANSWER)}|{re.escape(MENU_ITEM)}|{SUBMIT}$)"))
    async def on_press(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        press = press_of(body)
        if press is None:
            return
        if press.action_id == _INCIDENT_ITEM:
            background.spawn(incident.report(dialogue, press.user_id, press.trigger_id, press))
        else:
            background.spawn(dialogue.press(press))

    @bolt.shortcut(incident.INCIDENT_CALLBACK)
    async def on_incident_shortcut(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        background.spawn(incident.report(dialogue, body["user"]["id"], body.get("trigger_id")))
