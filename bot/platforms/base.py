"""What every platform adapter offers the delivery worker: send one Outbound to one chat.

Handlers never call this: they return replies. Notifications (escalations, reminders, broadcasts)
are outbox rows that a delivery worker hands to the adapter's Sender.
"""

from __future__ import annotations

from typing import Protocol

from bot.engine.messages import Outbound


class DeliveryError(Exception):
    """A message could not be delivered; the text is recorded with the outbox row."""


class RetryLater(DeliveryError):
    """429, 5xx or a network fault: try again, not before `retry_after` seconds when given."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TokenRefused(RetryLater):
    """The platform refused the bot's own token (Telegram 401, Slack invalid_auth and the like):
    every call fails until someone fixes it. A reply is not retried on it; the delivery worker
    still treats it as RetryLater, so queued notices wait for the fix."""


class Undeliverable(DeliveryError):
    """A permanent refusal (the bot was blocked, the chat does not exist): do not retry."""


class Sender(Protocol):
    platform: str

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        """Deliver; return the platform's message id. Raise RetryLater or Undeliverable."""
        ...
