"""Data access: small async functions over one session. Callers own the transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Literal, Protocol

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.flow import Answer, CompiledFlow
from bot.engine.step import Recorded
from bot.store.core import rows_matched, table_of
from bot.store.names import name_key
from bot.store.models import (
    AnswerRow,
    ExpertAssignment,
    Identity,
    Company,
    Conversation,
    FlowSnapshot,
    Invitation,
    Person,
    ProcessedEvent,
)

OPEN_STATUSES = ("active", "paused")

# The statements every inbound message runs, built once with bound parameters: building a statement
# and its cache key at each call was about a tenth of an answer's time (bench/README.md).
_CLAIM_EVENT = {
    dialect: insert(table_of(ProcessedEvent))  # the table, not the entity: no ORM bulk-insert machinery
    .values(platform=bindparam("platform"), event_id=bindparam("event_id"), received_at=bindparam("now"))
    .on_conflict_do_nothing()
    .returning(table_of(ProcessedEvent).c.event_id)
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_PERSON_BY_PLATFORM = (
    select(Person)
    .join(Identity, Identity.person_id == Person.id)
    .where(Identity.platform == bindparam("platform"), Identity.platform_user_id == bindparam("user_id"))
)
# Of a person's conversations, the one touched last (an id breaks a tie within one clock tick).
_NEWEST_FIRST = (Conversation.updated_at.desc(), Conversation.id.desc())
_PERSON_AND_ACTIVE_CONVERSATION = (
    select(Person, Conversation)
    .join(Identity, Identity.person_id == Person.id)
    .outerjoin(Conversation, and_(Conversation.person_id == Person.id, Conversation.status == "active"))
    .where(Identity.platform == bindparam("platform"), Identity.platform_user_id == bindparam("user_id"))
    .order_by(*_NEWEST_FIRST)
    .limit(1)
)
_ACTIVE_CONVERSATION = (
    select(Conversation)
    .where(Conversation.person_id == bindparam("person_id"), Conversation.status == "active")
    .order_by(*_NEWEST_FIRST)
    .limit(1)
)
_INSERT_ANSWER = table_of(AnswerRow).insert()
_ANSWERS = (
    select(AnswerRow.question_key, AnswerRow.value, AnswerRow.raw_text, AnswerRow.skipped, AnswerRow.unknown)
    .where(AnswerRow.conversation_id == bindparam("conversation_id"))
    .order_by(AnswerRow.id)
)


def insert_for(session: AsyncSession, table: type) -> PgInsert | SqliteInsert:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


async def claim_event(session: AsyncSession, platform: str, event_id: str, now: datetime) -> bool:
    """True the first time (platform, event_id) is seen. ON CONFLICT DO NOTHING keeps the
    transaction usable on PostgreSQL, where a failed INSERT would abort it; RETURNING tells whether
    a row went in (rowcount is not reliable for ORM inserts on every driver)."""
    statement = _CLAIM_EVENT[session.get_bind().dialect.name]
    result = await session.execute(statement, {"platform": platform, "event_id": event_id, "now": now})
    return result.first() is not None


# --- people and companies


def language_of(hint: str | None) -> str:
    return "en" if hint and hint.lower().startswith("en") else "ja"


async def person_by_platform(session: AsyncSession, platform: str, user_id: str) -> Person | None:
    """The person behind a platform account (linked accounts lead to the same person). One query:
    this runs for every inbound message, and each round trip costs (bench/README.md)."""
    return await session.scalar(_PERSON_BY_PLATFORM, {"platform": platform, "user_id": user_id})


async def person_arriving(
    session: AsyncSession, platform: str, user_id: str, display_name: str | None,
    language_hint: str | None, now: datetime,
) -> tuple[Person, Conversation | None]:
    """The person behind an inbound message (made at first contact) and their active conversation,
    read in one query: this runs for every message."""
    row = (await session.execute(_PERSON_AND_ACTIVE_CONVERSATION, {"platform": platform, "user_id": user_id})).first()
    if row is None:
        return await _create_person(session, platform, user_id, display_name, language_hint, now), None
    person, active = row
    _note_display_name(person, platform, display_name)
    return person, active


def _note_display_name(person: Person, platform: str, display_name: str | None) -> None:
    if display_name and person.display_name != display_name and person.platform == platform:
        person.display_name = display_name


async def get_or_create_person(
    session: AsyncSession, platform: str, user_id: str, display_name: str | None,
    language_hint: str | None, now: datetime,
) -> Person:
    person = await person_by_platform(session, platform, user_id)
    if person is not None:
        _note_display_name(person, platform, display_name)
        return person
    return await _create_person(session, platform, user_id, display_name, language_hint, now)


async def _create_person(
    session: AsyncSession, platform: str, user_id: str, display_name: str | None,
    language_hint: str | None, now: datetime,
) -> Person:
    """A first contact: the person and their identity (looked up just before and not found)."""
    # Two first messages at once: the second insert of each is a no-op, and both find the one row.
    await session.execute(
        insert_for(session, Person)
        .values(
            platform=platform, platform_user_id=user_id, display_name=display_name,
            language=language_of(language_hint), created_at=now,
        )
        .on_conflict_do_nothing()
    )
    person_id = await session.scalar(
        select(Person.id).where(Person.platform == platform, Person.platform_user_id == user_id)
    )
    await session.execute(
        insert_for(session, Identity)
        .values(platform=platform, platform_user_id=user_id, person_id=person_id, created_at=now)
        .on_conflict_do_nothing()
    )
    person = await session.get(Person, person_id)
    assert person is not None
    return person


async def identities_of(session: AsyncSession, person_id: int) -> list[Identity]:
    return list(await session.scalars(select(Identity).where(Identity.person_id == person_id)))


async def company_by_name(session: AsyncSession, name: str) -> Company | None:
    """The company `name` means, compared as bot/store/names.py compares (「株式会社ｻﾝﾌﾟﾙ」 finds
    「株式会社サンプル」); the programme has some forty companies, so the rest are read and compared."""
    exact = await session.scalar(select(Company).where(Company.name == name))
    if exact is not None or not name_key(name):
        return exact
    wanted = name_key(name)
    return next((c for c in await list_companies(session) if name_key(c.name) == wanted), None)


async def company_by_id(session: AsyncSession, company_id: int | None) -> Company | None:
    return await session.get(Company, company_id) if company_id is not None else None


async def create_company(session: AsyncSession, name: str, course: str, now: datetime) -> Company:
    company = Company(name=name, course=course, created_at=now)
    session.add(company)
    await session.flush()
    return company


async def list_companies(session: AsyncSession) -> list[Company]:
    return list(await session.scalars(select(Company).order_by(Company.name)))


# --- invitations

# No 0/O or 1/I/L: codes are read aloud on the phone and typed on small screens.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code(length: int = 10) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


async def create_invitation(
    session: AsyncSession, company: Company, role: str, now: datetime,
    uses: int | None = 1, valid_for: timedelta | None = timedelta(days=14),
) -> Invitation:
    invitation = Invitation(
        code=new_code(), company_id=company.id, role=role, uses_left=uses,
        expires_at=now + valid_for if valid_for else None, created_at=now,
    )
    session.add(invitation)
    await session.flush()
    return invitation


InvitationState = Literal["active", "expired", "used_up"]


def invitation_state(invitation: Invitation, now: datetime) -> InvitationState:
    """What /start would say of the code now (expiry first, as redeem_invitation checks it)."""
    if invitation.expires_at is not None and invitation.expires_at <= now:
        return "expired"
    if invitation.uses_left is not None and invitation.uses_left <= 0:
        return "used_up"
    return "active"


async def list_invitations(session: AsyncSession, company_id: int | None = None) -> list[tuple[Invitation, str]]:
    """(invitation, company name), the newest first."""
    query = select(Invitation, Company.name).join(Company, Company.id == Invitation.company_id)
    if company_id is not None:
        query = query.where(Invitation.company_id == company_id)
    rows = await session.execute(query.order_by(Invitation.created_at.desc(), Invitation.id.desc()))
    return [(invitation, name) for invitation, name in rows.all()]


MASK_SHOWN = 3  # characters of a code a list shows: enough to tell codes apart, not to use one


def masked_code(code: str) -> str:
    return "•" * (len(code) - MASK_SHOWN) + code[-MASK_SHOWN:]


async def find_invitations(session: AsyncSession, code: str) -> list[Invitation]:
    """The invitation of a whole code, else those ending in what was typed (the tail `invite list`
    shows), so a code printed once can still be revoked from the list."""
    typed = code.strip().lstrip("•*…").upper()
    if not typed:
        return []
    exact = await session.scalar(select(Invitation).where(Invitation.code == typed))
    if exact is not None or len(typed) < MASK_SHOWN:
        return [exact] if exact is not None else []
    return list(await session.scalars(select(Invitation).where(Invitation.code.endswith(typed, autoescape=True)).order_by(Invitation.id)))


def revoke_invitation(invitation: Invitation, now: datetime) -> None:
    """Expire the code now: /start then answers as for any expired code (ask for a new one), which
    is the truth; uses_left stays as it was, so the list still shows how many were never used."""
    if invitation.expires_at is None or invitation.expires_at > now:
        invitation.expires_at = now


JoinOutcome = Literal["joined", "already", "other_company", "unknown", "expired", "used_up"]


@dataclass(frozen=True)
class JoinResult:
    outcome: JoinOutcome
    company: Company | None = None
    role: str | None = None


async def redeem_invitation(session: AsyncSession, person: Person, code: str, now: datetime) -> JoinResult:
    invitation = await session.scalar(select(Invitation).where(Invitation.code == code.strip().upper()))
    if invitation is None:
        return JoinResult("unknown")
    company = await session.get(Company, invitation.company_id)
    expert = invitation.role == "expert"
    if expert:
        # An expert may advise several companies: each expert code adds an assignment.
        if person.role not in (None, "expert"):
            return JoinResult("other_company", await company_by_id(session, person.company_id), person.role)
        assigned = await session.get(ExpertAssignment, (person.id, invitation.company_id))
        if assigned is not None:
            return JoinResult("already", company, "expert")
    elif person.company_id == invitation.company_id:
        return JoinResult("already", company, person.role)
    elif person.company_id is not None or person.role is not None:
        return JoinResult("other_company", await company_by_id(session, person.company_id), person.role)
    if invitation_state(invitation, now) == "expired":
        return JoinResult("expired")
    if invitation.uses_left is not None:
        # A conditional decrement: two people racing for the last use cannot both get it.
        result = await session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.uses_left > 0)
            .values(uses_left=Invitation.uses_left - 1)
        )
        if not rows_matched(result):
            return JoinResult("used_up")
    if expert:
        person.role = "expert"
        session.add(ExpertAssignment(person_id=person.id, company_id=invitation.company_id, created_at=now))
    else:
        person.company_id = invitation.company_id
        person.role = invitation.role
    return JoinResult("joined", company, invitation.role)


# --- conversations and answers


async def open_conversation(session: AsyncSession, person_id: int, flow_ids: Iterable[str] | None = None) -> Conversation | None:
    query = select(Conversation).where(
        Conversation.person_id == person_id, Conversation.status.in_(OPEN_STATUSES)
    )
    if flow_ids is not None:
        query = query.where(Conversation.flow_id.in_(list(flow_ids)))
    return await session.scalar(query.order_by(*_NEWEST_FIRST).limit(1))


async def active_conversation(session: AsyncSession, person_id: int) -> Conversation | None:
    return await session.scalar(_ACTIVE_CONVERSATION, {"person_id": person_id})


async def latest_conversation(session: AsyncSession, person_id: int, flow_ids: Iterable[str]) -> Conversation | None:
    return await session.scalar(
        select(Conversation)
        .where(Conversation.person_id == person_id, Conversation.flow_id.in_(list(flow_ids)))
        .order_by(Conversation.id.desc())
        .limit(1)
    )


class Snapshotted(Protocol):
    """A questionnaire or the triage tree: what a conversation can be started on."""

    id: str
    version: str

    def snapshot(self) -> dict[str, Any]: ...


_snapshot_cache: dict[str, Any] = {}


_SNAPSHOT_STORED = select(FlowSnapshot.version).where(FlowSnapshot.version == bindparam("version"))


async def ensure_snapshot(session: AsyncSession, flow: Snapshotted, now: datetime) -> None:
    # Always asked of the database (only when a conversation starts): the cache below is per
    # process, the database may be new. Asked first, and written only when missing: the body is
    # the whole flow (~90 questions), costly to serialise and to send at every /hearing.
    if await session.scalar(_SNAPSHOT_STORED, {"version": flow.version}) is not None:
        return
    statement = (
        insert_for(session, FlowSnapshot)
        .values(version=flow.version, flow_id=flow.id, body=flow.snapshot(), created_at=now)
        .on_conflict_do_nothing()
    )
    await session.execute(statement)


async def flow_of(session: AsyncSession, conversation: Conversation) -> Any:
    """The exact flow (CompiledFlow, or CompiledTree for triage) the conversation started on, even
    if content was edited since."""
    cached = _snapshot_cache.get(conversation.content_version)
    if cached is not None:
        return cached
    snapshot = await session.get(FlowSnapshot, conversation.content_version)
    if snapshot is None:
        raise LookupError(f"no snapshot {conversation.content_version} for conversation {conversation.id}")
    if "tree" in snapshot.body:
        from bot.engine.triage import CompiledTree

        flow: Any = CompiledTree.from_snapshot(snapshot.body)
    else:
        flow = CompiledFlow.from_snapshot(snapshot.body)
    _snapshot_cache[conversation.content_version] = flow
    return flow


async def start_conversation(
    session: AsyncSession, person_id: int, flow: Snapshotted, now: datetime
) -> Conversation:
    await ensure_snapshot(session, flow, now)
    conversation = Conversation(
        person_id=person_id, flow_id=flow.id, content_version=flow.version,
        status="active", started_at=now, updated_at=now,
    )
    session.add(conversation)
    await session.flush()
    return conversation


async def load_answers(session: AsyncSession, conversation_id: int) -> dict[str, Answer]:
    """The latest answer per question key (answers are append-only)."""
    rows = await session.execute(_ANSWERS, {"conversation_id": conversation_id})
    return {key: Answer(value, raw, skipped, unknown) for key, value, raw, skipped, unknown in rows}


async def answer_history(session: AsyncSession, conversation_id: int) -> list[AnswerRow]:
    return list(
        await session.scalars(
            select(AnswerRow).where(AnswerRow.conversation_id == conversation_id).order_by(AnswerRow.id)
        )
    )


async def append_answers(
    session: AsyncSession, conversation_id: int, recorded: Iterable[Recorded], now: datetime
) -> None:
    """Inserted at once as plain rows: answers are never changed through ORM objects, and the ORM's
    unit of work was the larger part of saving an answer (bench/README.md)."""
    rows = [
        {
            "conversation_id": conversation_id, "question_key": item.key, "raw_text": item.raw,
            "value": item.value, "skipped": item.skipped, "unknown": item.unknown,
            "answered_at": now,
        }
        for item in recorded
    ]
    if rows:
        await session.execute(_INSERT_ANSWER, rows)


async def save_conversation(session: AsyncSession, conversation: Conversation, **values: Any) -> None:
    """Record the flow state and flush it now: the UPDATE checks the row's version (the model's
    version_id_col), so a conversation changed by another transaction since it was read raises
    StaleDataError here, before any reply is sent."""
    for key, value in values.items():
        setattr(conversation, key, value)
    await session.flush()


async def count_answers(session: AsyncSession, conversation_id: int) -> int:
    return int(
        await session.scalar(select(func.count()).where(AnswerRow.conversation_id == conversation_id)) or 0
    )
