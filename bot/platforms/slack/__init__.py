"""The Slack platform on slack-bolt (AsyncApp): `serve` for `helpdesk serve slack`, and `SlackSender`
for the delivery worker.

Modules: server (start-up, HTTP or Socket Mode), intake (the HTTP endpoint: signature, size and
envelope checks before slack-bolt), payloads (the shapes the listeners read), listeners (ack first,
then hand over), background (the work after the ack), dialogue (one turn: engine, then Slack),
inbound (payloads -> Inbound), blocks (Outbound -> Block Kit), home (the App Home tab), incident
(the incident modal), commands (`/helpdesk <sub>` <-> engine commands), mrkdwn (escaping), limits
(Block Kit lengths), sender (Web API calls and their failures).
"""

from __future__ import annotations

from bot.platforms.slack.sender import SlackSender, slack_sender
from bot.platforms.slack.server import serve

__all__ = ["SlackSender", "serve", "slack_sender"]
