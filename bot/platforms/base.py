"""What every platform adapter offers the delivery worker: send one Outbound to one chat.

Handlers never call this: they return replies. Notifications (escalations, reminders, broadcasts)
are outbox rows that a delivery worker hands to the adapter's Sender.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.engine.messages import Outbound


@dataclass(frozen=True)
class Finding:
    """One line of `helpdesk doctor`: fine or a problem, and what (never a token)."""

    ok: bool
    what: str


class DeliveryError(Exception):
    """A message could not be delivered; the text is recorded with the outbox row."""


class RetryLater(DeliveryError):
    """429, 5xx or a network fault: try again, not before `retry_after` seconds when given."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Undeliverable(DeliveryError):
    """A permanent refusal (the bot was blocked, the chat does not exist): do not retry."""


class TokenRefused(DeliveryError):
    """The platform refused the bot's own token (revoked, wrong, the app uninstalled): every call
    fails alike until someone fixes the token, so the worker fails this row with the reason, says so
    once, and stops delivering on this platform until the process is restarted."""


class Sender(Protocol):
    platform: str

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        """Deliver; return the platform's message id. Raise RetryLater, Undeliverable or TokenRefused."""
        ...
