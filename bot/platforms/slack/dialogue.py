"""One turn with a person, after the ack: the engine answers, then Slack shows it.

For every inbound: find out the language at first contact (Slack's user locale), let the runtime
handle it (one transaction, de-duplicated by event_id), then, if it was a press, turn the pressed
message into a filled form (chat.update), and post the replies. A person's turns run one at a time
and in order, so answers typed quickly are stored and answered in the order they were typed.

Every Web API call is retried by slack_sdk's own handlers inside the client, within a time bound
(retries.py). A reply still unsent after that goes to the outbox with the replies after it, to
arrive late (bot/platforms/handover.py); later turns' replies queue behind them there.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any, Awaitable, Callable
from weakref import WeakValueDictionary

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.engine.messages import Inbound, Outbound
from bot.runtime.core import Runtime
from bot.platforms.base import DeliveryError, RetryLater, TokenRefused, Undeliverable
from bot.platforms.handover import Late, token_refused, turn_key
from bot.platforms.slack.blocks import SUBMIT, answered, from_engine, group_replies, menu, speaker
from bot.platforms.slack.home import home_view
from bot.platforms.slack.inbound import PLATFORM, Press
from bot.platforms.slack.mrkdwn import escape
from bot.platforms.slack.sender import Opened, SlackSender
from bot.store import repo

log = logging.getLogger(__name__)

NOT_ACCEPTED = ("reprompt", "error")  # a press answered like this did not answer its question


class Dialogue:
    def __init__(self, runtime: Runtime, sender: SlackSender) -> None:
        self.runtime = runtime
        self.sender = sender
        self.book = runtime.content.book
        self.late = Late(runtime.sessions, PLATFORM, runtime.clock)
        self.languages: dict[str, str] = {}  # user -> language of their record, as last read
        self.dm_channels: dict[str, str] = {}  # user -> their DM with the bot, once seen
        self._turns: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    def dm(self, user_id: str) -> str:
        """Where to talk to a person: their DM; a user id reaches it too before we know its id."""
        return self.dm_channels.get(user_id, user_id)

    def command_ack(self, user_id: str, channel_id: str | None) -> dict[str, Any]:
        """A slash command typed outside the DM is answered in the DM: say so where it was typed.
        No database here (it would delay the ack): the language is the one last seen, or both."""
        if channel_id is not None and self.dm_channels.get(user_id) == channel_id:
            return {}
        languages = [self.languages[user_id]] if user_id in self.languages else ["ja", "en"]
        return {"text": "\n".join(from_engine(self.book.say("slack.reply_in_dm", lang)) for lang in languages)}

    async def converse(self, inbound: Inbound, channel: str, press: Press | None = None) -> bool:
        """False for a duplicate, which the first delivery answered."""
        user = inbound.user_id
        async with self._turn(user):
            try:
                replies = await self.runtime.handle(await self._introduce(inbound))
                lang = await self._language(user) or "ja"
            except Exception:  # noqa: BLE001 - the person gets a sentence, the log gets the trace
                log.exception("Slack turn failed")
                lang = self.languages.get(user, "ja")
                replies = [Outbound(self.book.say("router.error", lang), kind="error")]
            log.debug("event %s: %d repl%s", inbound.event_id, len(replies), "y" if len(replies) == 1 else "ies")
            if not replies:
                return False
            if press is not None and not press.lasting and replies[0].kind not in NOT_ACCEPTED:
                await self._fill_in(press, lang)
            await self._post(user, channel, replies, lang, inbound.event_id)
            return True

    async def press(self, press: Press) -> None:
        """A press on one of our buttons (on a message or the App Home)."""
        channel = press.channel or self.dm(press.user_id)
        if not press.values:  # submit with no box ticked: nothing to answer, the question stays open
            lang = self.languages.get(press.user_id, "ja")
            await self._post(press.user_id, channel, [Outbound(self.book.say("slack.pick_first", lang), kind="reprompt")], lang, press.key)
            return
        if press.question_ref is None:  # a menu item, or options offered outside a question
            inbound = Inbound(PLATFORM, press.user_id, text=press.values[0], chat_id=press.channel, event_id=press.key)
        elif press.action_id == SUBMIT:
            inbound = Inbound(
                PLATFORM, press.user_id, chat_id=press.channel, event_id=press.key,
                choices=press.values, reply_to=press.question_ref,
            )
        else:
            inbound = Inbound(
                PLATFORM, press.user_id, chat_id=press.channel, event_id=press.key,
                choice=press.values[0], reply_to=press.question_ref,
            )
        if await self.converse(inbound, channel, press) and press.in_home:
            await self.publish_home(press.user_id)

    async def show_menu(self, user_id: str) -> None:
        arguments = menu(speaker(self.book, await self.language_for(user_id)))
        posted = await self._tried(self.sender.post_blocks, self.dm(user_id), arguments)
        if posted is not None:
            self.dm_channels[user_id] = posted.channel

    async def publish_home(self, user_id: str) -> None:
        async with self._turn(user_id):  # after the turns before it: the home shows their answers
            view = await home_view(self.runtime, user_id, await self.language_for(user_id))
        await self._tried(self.sender.publish, user_id, view)

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> Opened | None:
        """views.open, tried once: the trigger expires 3 seconds after the click, so waiting out a
        rate limit would only open nothing later. None when Slack did not open it."""
        try:
            return await self.sender.open_view(trigger_id, view)
        except (RetryLater, Undeliverable, TokenRefused) as exc:
            log.warning("Slack refused views.open: %s", exc)
            return None

    async def update_modal(self, opened: Opened, view: dict[str, Any]) -> None:
        await self._tried(self.sender.update_view, opened, view)

    async def language_for(self, user_id: str) -> str:
        """The language of the person's record, else of their Slack locale."""
        return await self._language(user_id) or await self._locale_language(user_id)

    def known_language(self, user_id: str) -> str | None:
        """The language last read for the person, without the database (None: not met since start)."""
        return self.languages.get(user_id)

    # --- the person

    def _turn(self, user_id: str) -> asyncio.Lock:
        lock = self._turns.get(user_id)
        if lock is None:
            lock = self._turns[user_id] = asyncio.Lock()
        return lock

    async def _language(self, user_id: str) -> str | None:
        """The language of the person's record (None: no record yet); remembered for acks."""
        async with self.runtime.sessions() as session:
            person = await repo.person_by_platform(session, PLATFORM, user_id)
        if person is None:
            return None
        self.languages[user_id] = person.language
        return person.language

    async def _introduce(self, inbound: Inbound) -> Inbound:
        """At first contact, Slack's profile gives the record its language and a name."""
        if inbound.user_id in self.languages or await self._language(inbound.user_id) is not None:
            return inbound
        locale, name = await self._profile(inbound.user_id)
        return replace(inbound, language=locale, display_name=name)

    async def _locale_language(self, user_id: str) -> str:
        locale, _ = await self._profile(user_id)
        return repo.language_of(locale)

    async def _profile(self, user_id: str) -> tuple[str | None, str | None]:
        """users.info with the locale (scope users:read); nothing when Slack does not tell."""
        try:
            response = await self.sender.client.users_info(user=user_id, include_locale=True)
        except (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.info("users.info gave nothing: %s", type(exc).__name__)
            return None, None
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        return user.get("locale"), (str(name)[:200] if name else None)

    # --- Slack

    async def _fill_in(self, press: Press, lang: str) -> None:
        if press.channel is None or press.message_ts is None or press.message is None:
            return
        say = speaker(self.book, lang)
        key = "slack.answered" if press.question_ref else "slack.picked"
        line = say(key, answer=escape(say("unit.list_join").join(press.labels)))
        await self._tried(self.sender.update, press.channel, press.message_ts, answered(press.message, press.block_id, line))

    async def _post(self, user: str, channel: str, replies: list[Outbound], lang: str, event_id: str | None) -> None:
        """Each group of replies is one message. The first group Slack does not take in time goes
        to the outbox with every reply after it, one row each, so they keep their order."""
        key = turn_key(event_id)
        behind = await self.late.behind(channel)
        done = 0  # replies posted or refused for good
        for group in group_replies(replies):
            if behind:
                break
            try:
                posted = await self.sender.post(channel, group, lang)
            except TokenRefused as exc:
                token_refused(PLATFORM, key, exc)
                return
            except RetryLater as exc:
                await self.late.hand_over(
                    channel, key, list(enumerate(replies))[done:], user_id=user, retry_after=exc.retry_after, reason=str(exc),
                )
                return
            except Undeliverable as exc:
                log.warning("Slack refused a reply: %s", exc)
                return  # the rest would arrive out of order; the person can ask again
            done += len(group)
            self.dm_channels[user] = posted.channel
        if done < len(replies):
            await self.late.hand_over(
                channel, key, list(enumerate(replies))[done:], user_id=user, reason="earlier replies are still in the outbox",
            )

    async def _tried(self, call: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any | None:
        """A call that is not a reply (a menu, the App Home, a form filled in): retried inside the
        client; when that gives up, logged and left (the person can ask again)."""
        try:
            return await call(*args, **kwargs)
        except TokenRefused as exc:
            log.error("Slack refused the bot's token on %s: %s", _name(call), exc)
        except DeliveryError as exc:
            log.warning("Slack %s gave up: %s", _name(call), exc)
        return None


def _name(call: Callable[..., Any]) -> str:
    return getattr(call, "__name__", "call")
