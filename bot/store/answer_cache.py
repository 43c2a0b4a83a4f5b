"""The committed answers of recent conversations, kept between messages.

Each answer to a questionnaire needs all the conversation's answers (the plan, what is still open).
Reading them back was a SELECT of up to ~100 rows, each JSON-decoded, at every message; the step
already knows them. So after a step commits, the answers it left are kept here under the
conversation's row version (Conversation.version, which every step raises), and the next message
uses them only if the row it read has that same version. What another process wrote, or a
transaction that rolled back, therefore never comes from here:
- an entry is put only after its transaction committed (a session's pending entries are dropped
  on rollback);
- every write of answers outside a step raises the row version too (repo.touch_conversation), so a
  version names one set of answers in every process;
- a conversation is known by its id and start time: SQLite may give a purged conversation's id to a
  new one;
- entries belong to one engine (one database): tests and tools open many in one process.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any, Iterable, Mapping
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.engine.flow import Answer
from bot.engine.step import Recorded
from bot.store.models import Conversation

CAPACITY = 2_000  # conversations per database; a finished hearing's answers are ~30 KB
# In Session.info, for the transaction under way: conversation key -> (version, answers) or None.
_PENDING = "answer_cache.pending"  # put (or, None, dropped) once the transaction commits
_READ = "answer_cache.read"  # read by this transaction

Key = tuple[int, datetime]  # a conversation's id and start
Entry = tuple[int, dict[str, Answer]]  # a version of the conversation row, and its answers


def _key(conversation: Conversation) -> Key:
    return conversation.id, conversation.started_at


class _Cache:
    def __init__(self) -> None:
        self.entries: OrderedDict[Key, Entry] = OrderedDict()

    def get(self, key: Key, version: int) -> dict[str, Answer] | None:
        entry = self.entries.get(key)
        if entry is None or entry[0] != version:
            return None
        self.entries.move_to_end(key)
        return dict(entry[1])  # a copy: callers may build on it

    def apply(self, pending: Mapping[Key, Entry | None]) -> None:
        for key, entry in pending.items():
            if entry is None:
                self.entries.pop(key, None)
                continue
            self.entries[key] = entry
            self.entries.move_to_end(key)
        while len(self.entries) > CAPACITY:
            self.entries.popitem(last=False)


_caches: WeakKeyDictionary[Engine, _Cache] = WeakKeyDictionary()


def _cache_of(session: Session) -> _Cache | None:
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    return _caches.setdefault(engine, _Cache()) if isinstance(engine, Engine) else None


def _info(session: AsyncSession, name: str) -> dict[Key, Any]:
    return session.sync_session.info.setdefault(name, {})


def read(session: AsyncSession, conversation: Conversation) -> dict[str, Answer] | None:
    """The answers as of the conversation's version, if this process committed them."""
    cache = _cache_of(session.sync_session)
    return cache.get(_key(conversation), conversation.version) if cache is not None else None


def note_read(session: AsyncSession, conversation: Conversation, answers: dict[str, Answer]) -> None:
    """What this transaction read: the base of what a step then keeps."""
    _info(session, _READ)[_key(conversation)] = (conversation.version, answers)


def keep_after_commit(
    session: AsyncSession, conversation: Conversation, read_version: int, recorded: Iterable[Recorded],
) -> None:
    """A step took the conversation from `read_version` to its version now, appending `recorded`."""
    key = _key(conversation)
    base = _info(session, _READ).get(key)
    if base is None or base[0] != read_version:
        _info(session, _PENDING)[key] = None  # not read in this transaction: nothing sure to keep
        return
    kept = dict(base[1])
    kept.update((r.key, Answer(r.value, r.raw, r.skipped)) for r in recorded)
    _info(session, _PENDING)[key] = _info(session, _READ)[key] = (conversation.version, kept)


def forget_after_commit(session: AsyncSession, conversation: Conversation) -> None:
    """Answers were written outside a step: what this process holds for it is no longer sure."""
    key = _key(conversation)
    _info(session, _PENDING)[key] = None
    _info(session, _READ).pop(key, None)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_READ, None)
    pending: dict[Key, Entry | None] | None = session.info.pop(_PENDING, None)
    if pending:
        cache = _cache_of(session)
        if cache is not None:
            cache.apply(pending)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_READ, None)
