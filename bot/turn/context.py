"""What a handler gets for one inbound message: the open transaction, the person, the content, now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Awaitable, Callable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.engine.messages import Outbound
from bot.engine.render import Speaker
from bot.engine.step import FlowInput
from bot.policy import STARTED, Action, Actor, Resource, authorize, authorize_entry
from bot.store.models import AuditEntry, Conversation, Person


Runner = Callable[["Ctx", Conversation, FlowInput], Awaitable[list[Outbound]]]


@dataclass
class Ctx:
    session: AsyncSession
    person: Person
    content: Content
    now: datetime  # UTC
    tz: ZoneInfo
    actor: Actor  # the person as bot.policy sees them
    # The person's active conversation as the message arrived, read together with the person (one
    # query per message instead of two). The router uses it; a handler that starts, pauses or
    # resumes a conversation asks the database (repo.active_conversation).
    active_on_arrival: Conversation | None
    # How each kind of conversation is run, by flow id: the router's table (bot/runtime/router.py),
    # handed down with the message so that nothing below the router registers itself at import.
    runners: Mapping[str, Runner]

    @property
    def lang(self) -> str:
        return self.person.language

    @cached_property
    def speaker(self) -> Speaker:
        return Speaker(self.lang, self.content.book, self.content.words, self.now.astimezone(self.tz).date())

    def say(self, key: str, **params: object) -> str:
        return self.content.book.say(key, self.lang, **params)

    def may(self, action: Action, resource: Resource = Resource(), **detail: object) -> bool:
        """Ask bot.policy, which also writes the audit log."""
        return authorize(self.session, self.actor, action, resource, self.now, dict(detail) or None)

    def may_start(self, action: Action, resource: Resource = Resource()) -> tuple[bool, AuditEntry | None]:
        """`may`, for an action whose outcome the handler records with bot.policy.settle: allowed,
        its entry reads "started" until then (in the message's transaction, so never on its own)."""
        return authorize_entry(self.session, self.actor, action, resource, self.now, outcome=STARTED)
