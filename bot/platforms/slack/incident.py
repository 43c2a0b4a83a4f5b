"""Reporting an incident from Slack. Three ways in, one place: `/helpdesk incident`, the menu's button
and the global shortcut `incident_report` all call `report`.

Today `report` runs the engine's `/incident` conversation (the short form, question by question) in
the person's DM. The short-form modal replaces the body of `report` and keeps its callers:
`views.open` with `trigger_id` at once (a trigger expires after 3 seconds, so the modal opens with a
placeholder before any database work), then `views.update` with the form, and a `view_submission`
listener for INCIDENT_CALLBACK in listeners.py.
"""

from __future__ import annotations

from bot.engine.messages import Inbound
from bot.platforms.slack.dialogue import Dialogue
from bot.platforms.slack.inbound import PLATFORM, Press

INCIDENT_CALLBACK = "incident_report"  # the global shortcut's callback_id in manifest.yaml
ENGINE_COMMAND = "/incident"


async def report(dialogue: Dialogue, user_id: str, trigger_id: str | None, press: Press | None = None) -> None:
    """`trigger_id` is what the modal will be opened with; the DM conversation does not need it."""
    inbound = Inbound(PLATFORM, user_id, text=ENGINE_COMMAND, event_id=press.key if press else None)
    channel = press.channel if press is not None and press.channel else dialogue.dm(user_id)
    await dialogue.converse(inbound, channel, press)
