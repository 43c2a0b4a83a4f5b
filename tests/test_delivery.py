"""The outbox delivery worker: sent once, retried on 429/5xx honouring Retry-After, failed on
permanent refusals, never lost."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from bot.engine.messages import Outbound
from bot.runtime.core import Runtime
from bot.platforms.base import RetryLater, Undeliverable
from bot.store.models import OutboxRow
from bot.store.outbox import Recipient, enqueue, enqueue_replies
from scheduler.delivery import MAX_ATTEMPTS, deliver_due
from tests.conftest import Clock


@dataclass
class ScriptedSender:
    """Answers each send with the next scripted outcome: "ok", "429:<seconds>", "500", "blocked"."""

    script: list[str]
    platform: str = "telegram"
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        outcome = self.script.pop(0) if self.script else "ok"
        if outcome.startswith("429"):
            raise RetryLater("429 Too Many Requests", retry_after=float(outcome.split(":")[1]))
        if outcome == "500":
            raise RetryLater("500 Internal Server Error")
        if outcome == "blocked":
            raise Undeliverable("Forbidden: bot was blocked by the user")
        self.sent.append((chat_id, message.text))
        return f"m{len(self.sent)}"


async def queue(runtime: Runtime, clock: Clock, chats: list[str], ref: str = "n1") -> None:
    async with runtime.sessions.begin() as session:
        await enqueue(
            session, kind="broadcast", ref=ref, now=clock(),
            recipients=[Recipient("telegram", c) for c in chats],
            render=lambda lang: Outbound(f"hello {lang}", kind="notice"),
        )


async def rows(runtime: Runtime) -> list[OutboxRow]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


async def test_each_row_is_sent_once(runtime: Runtime, clock: Clock) -> None:
    await queue(runtime, clock, ["1", "2", "3"])
    await queue(runtime, clock, ["1", "2", "3"])  # the same notice queued again adds nothing
    sender = ScriptedSender([])
    stats = await deliver_due(runtime.sessions, sender, clock=clock)
    again = await deliver_due(runtime.sessions, sender, clock=clock)
    assert stats.sent == 3 and again.handled == 0
    assert sorted(chat for chat, _ in sender.sent) == ["1", "2", "3"]
    assert all(r.status == "sent" and r.platform_message_id for r in await rows(runtime))


async def test_429_waits_for_retry_after(runtime: Runtime, clock: Clock) -> None:
    await queue(runtime, clock, ["1"])
    sender = ScriptedSender(["429:30"])
    assert (await deliver_due(runtime.sessions, sender, clock=clock)).retried == 1
    clock.advance(seconds=29)
    assert (await deliver_due(runtime.sessions, sender, clock=clock)).handled == 0  # too early
    clock.advance(seconds=2)
    assert (await deliver_due(runtime.sessions, sender, clock=clock)).sent == 1
    [row] = await rows(runtime)
    assert row.status == "sent" and row.attempts == 2


async def test_500_backs_off_then_gives_up_with_the_reason(runtime: Runtime, clock: Clock) -> None:
    await queue(runtime, clock, ["1"])
    sender = ScriptedSender(["500"] * MAX_ATTEMPTS)
    for _ in range(MAX_ATTEMPTS):
        await deliver_due(runtime.sessions, sender, clock=clock)
        clock.advance(minutes=11)
    [row] = await rows(runtime)
    assert row.status == "failed" and "500" in (row.last_error or "") and row.attempts == MAX_ATTEMPTS
    assert sender.sent == []


async def test_a_blocked_bot_is_not_retried(runtime: Runtime, clock: Clock) -> None:
    await queue(runtime, clock, ["1", "2"])
    sender = ScriptedSender(["blocked", "ok"])
    stats = await deliver_due(runtime.sessions, sender, clock=clock)
    assert (stats.sent, stats.failed) == (1, 1)
    statuses = {r.chat_id: r.status for r in await rows(runtime)}
    assert statuses == {"1": "failed", "2": "sent"}


async def test_a_row_left_sending_by_a_dead_process_is_sent_after_its_lease(runtime: Runtime, clock: Clock) -> None:
    await queue(runtime, clock, ["1"])
    from scheduler.delivery import claim

    await claim(runtime.sessions, "telegram", clock())  # claimed, then the process "dies"
    sender = ScriptedSender([])
    assert (await deliver_due(runtime.sessions, sender, clock=clock)).handled == 0
    clock.advance(minutes=3)
    assert (await deliver_due(runtime.sessions, sender, clock=clock)).sent == 1


async def test_rows_of_other_platforms_are_left_alone(runtime: Runtime, clock: Clock) -> None:
    await queue(runtime, clock, ["1"])
    sender = ScriptedSender([], platform="slack")
    assert (await deliver_due(runtime.sessions, sender, clock=clock)).handled == 0


async def test_replies_handed_over_are_queued_once_and_sent_in_order_behind_a_retried_one(runtime: Runtime, clock: Clock) -> None:
    first, second = Outbound("first"), Outbound("second")
    for _ in range(2):  # handed over twice (say, a repeated event): queued once
        async with runtime.sessions.begin() as session:
            await enqueue_replies(session, platform="telegram", chat_id="7", key="701", replies=[(0, first), (1, second)], now=clock())
    await queue(runtime, clock, ["7"])  # a notice to the same chat is not held back by the replies
    sender = ScriptedSender(["500"])

    await deliver_due(runtime.sessions, sender, clock=clock)  # the first reply fails: the second waits
    assert sender.sent == [("7", "hello ja")]
    clock.advance(minutes=1)
    await deliver_due(runtime.sessions, sender, clock=clock)
    await deliver_due(runtime.sessions, sender, clock=clock)

    assert sender.sent == [("7", "hello ja"), ("7", "first"), ("7", "second")]
    assert [r.status for r in await rows(runtime)] == ["sent"] * 3
