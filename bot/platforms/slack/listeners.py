"""The slack-bolt listeners: each acknowledges at once, with nothing slow before the ack (no
database, no Web API call), and hands the turn to Background.

Events are acknowledged by slack-bolt itself before the listener runs; commands, actions, shortcuts
and view submissions call ack() first (a view submission's ack carries the field errors, or the
view that replaces the form: both are worked out from content, without the database). A request
this app does not handle gets slack-bolt's 404; one not shaped as Slack sends it is acknowledged
and ignored, with a log line (payloads.py).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.engine.messages import Inbound
from bot.platforms.slack import incident, payloads
from bot.platforms.slack.background import Background
from bot.platforms.slack.blocks import ANSWER, MENU_ITEM, PICK, SUBMIT
from bot.platforms.slack.commands import COMMAND, engine_text
from bot.platforms.slack.dialogue import Dialogue
from bot.platforms.slack.inbound import PLATFORM, command_key, message_inbound, press_of

_INCIDENT_ITEM = f"{MENU_ITEM}incident"


def register(bolt: AsyncApp, dialogue: Dialogue, background: Background) -> None:
    @bolt.event("message")  # every subtype, so none is left unacknowledged; message_inbound filters
    async def on_message(body: dict[str, Any]) -> None:
        inbound = message_inbound(body)
        if inbound is not None and inbound.chat_id:
            background.spawn(dialogue.converse(inbound, inbound.chat_id))

    @bolt.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any]) -> None:
        opened = payloads.read(payloads.HomeOpened, event, "app_home_opened event")
        if opened is not None and opened.tab == "home":
            background.spawn(dialogue.publish_home(opened.user))

    @bolt.command(COMMAND)
    async def on_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        command = payloads.read(payloads.Command, body, "slash command")
        if command is None:
            await ack()
            return
        user = command.user_id
        text = engine_text(command.text)
        if text == incident.ENGINE_COMMAND:  # a new report, in a modal; "incident status" and the like are the engine's
            await ack()
            background.spawn(incident.report(dialogue, user, command.trigger_id), urgent=True)
            return
        await ack(**dialogue.command_ack(user, command.channel_id))
        if text is None:
            background.spawn(dialogue.show_menu(user))
        else:
            inbound = Inbound(PLATFORM, user, text=text, event_id=command_key(command.trigger_id))
            background.spawn(dialogue.converse(inbound, dialogue.dm(user)))

    @bolt.action(PICK)  # a checkbox ticked: the submit button sends the set
    async def on_pick(ack: AsyncAck) -> None:
        await ack()

    @bolt.action(re.compile(f"^({re.escape(ANSWER)}|{re.escape(MENU_ITEM)}|{SUBMIT}$)"))
    async def on_press(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        press = press_of(body)
        if press is None:
            return
        if press.action_id == _INCIDENT_ITEM:  # the menu keeps the report in the DM
            background.spawn(incident.report_in_dm(dialogue, press.user_id, press))
        else:
            background.spawn(dialogue.press(press))

    @bolt.shortcut(incident.INCIDENT_CALLBACK)
    async def on_incident_shortcut(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        shortcut = payloads.read(payloads.Shortcut, body, "shortcut")
        if shortcut is not None:
            background.spawn(incident.report(dialogue, shortcut.user.id, shortcut.trigger_id), urgent=True)

    @bolt.view(incident.FORM_CALLBACK)
    async def on_incident_form(ack: AsyncAck, body: dict[str, Any]) -> None:
        submitted = incident.submission_of(body)
        if submitted is None:
            await ack()
            return
        errors = incident.field_errors(dialogue, submitted)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack(response_action="update", view=incident.received_view(dialogue, submitted.lang))
        background.spawn(incident.file(dialogue, submitted))
