"""The Telegram platform on python-telegram-bot: `serve` for `helpdesk serve telegram`, and
`TelegramSender` for the delivery worker.

Modules: updates (Update -> Inbound), replies (Outbound -> messages), buttons (inline keyboards and
their server-side keys), commands (the command menus), handlers (messages and errors), presses
(button presses), application (building it), serve (polling or webhook), polling (getUpdates answers
read update by update), sender, logs (no token in any log line)."""

from __future__ import annotations

from bot.platforms.telegram.sender import TelegramSender, telegram_sender
from bot.platforms.telegram.serve import serve

__all__ = ["TelegramSender", "serve", "telegram_sender"]
