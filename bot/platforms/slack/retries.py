"""slack_sdk's own retry handlers for the Web API client that answers people, held to a time bound.

The client retries 5xx (AsyncServerErrorRetryHandler: 500 and 503), connection faults and timeouts
(AsyncConnectionErrorRetryHandler) with slack_sdk's exponential backoff, and 429 after its
Retry-After (AsyncRateLimitErrorRetryHandler). Each is wrapped in `Bounded`, which lets a call retry
only while the pause ahead still ends within `ReplyRetry.seconds` of the call's first failure;
then the failure reaches the caller, and the reply goes to the outbox (dialogue.py).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Callable

from aiohttp import ClientOSError, ServerConnectionError, ServerDisconnectedError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.platforms.handover import LONGEST_PAUSE, ReplyRetry

# The bound decides when to stop; this only keeps slack_sdk's counter from stopping first.
MAX_RETRIES = 100
STARTED = "helpdesk_first_failure"  # our key in RetryState.custom_values
# slack_sdk adds up to one second to Retry-After; counted so a retry cannot overrun the bound.
RATE_LIMIT_JITTER = 1.0


class ShareJitter(Jitter):
    """Up to a quarter more than the backoff: slack_sdk's default adds up to a whole second, which
    would dwarf the short pauses of a test and spread nothing at 30 s."""

    def recalculate(self, duration: float) -> float:
        return duration * (1 + random.random() / 4)


class CappedBackoff(BackoffRetryIntervalCalculator):
    """slack_sdk's exponential backoff, the pause capped as our own backoff is."""

    def calculate_sleep_duration(self, current_attempt: int) -> float:
        return min(super().calculate_sleep_duration(current_attempt), self.longest(current_attempt))

    def longest(self, current_attempt: int) -> float:
        """The longest pause this attempt can get, jitter included."""
        return min(self.backoff_factor * 2 ** current_attempt, LONGEST_PAUSE) * 1.25


class Bounded(AsyncRetryHandler):
    """`inner` decides whether a failure is worth a retry; this also asks that the pause fits in the
    time left. The first failure of a call starts its clock (kept in the call's RetryState)."""

    def __init__(
        self, inner: AsyncRetryHandler, backoff: CappedBackoff, seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(max_retry_count=inner.max_retry_count, interval_calculator=backoff)
        self.inner = inner
        self.backoff = backoff
        self.seconds = seconds
        self.clock = clock

    async def can_retry_async(
        self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not await self.inner.can_retry_async(state=state, request=request, response=response, error=error):
            return False
        values = state.custom_values = state.custom_values or {}
        started = values.setdefault(STARTED, self.clock())
        return self.clock() + self._pause(state, response) <= started + self.seconds

    async def prepare_for_next_attempt_async(
        self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        await self.inner.prepare_for_next_attempt_async(state=state, request=request, response=response, error=error)

    def _pause(self, state: RetryState, response: HttpResponse | None) -> float:
        if response is not None and response.status_code == 429:
            return _retry_after(response) + RATE_LIMIT_JITTER
        return self.backoff.longest(state.current_attempt)


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values[0]))
            except ValueError:
                return 1.0
    return 1.0  # slack_sdk waits about a second when Slack names no time


def reply_retry_handlers(retry: ReplyRetry) -> list[AsyncRetryHandler]:
    backoff = CappedBackoff(backoff_factor=retry.backoff, jitter=ShareJitter())
    connection_errors: list[type[Exception]] = [
        ServerConnectionError, ServerDisconnectedError, ClientOSError, asyncio.TimeoutError,
    ]
    handlers: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(MAX_RETRIES, backoff, connection_errors),
        AsyncServerErrorRetryHandler(MAX_RETRIES, backoff),
        AsyncRateLimitErrorRetryHandler(MAX_RETRIES, backoff),
    ]
    return [Bounded(handler, backoff, retry.seconds) for handler in handlers]
