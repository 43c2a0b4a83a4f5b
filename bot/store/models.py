"""SQLAlchemy 2.0 typed models. Times are stored in UTC; Asia/Tokyo is for display only."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Explicit constraint names, so Alembic migrations name them the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite keeps no zone, so it is put back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware datetimes")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


JSONValue = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    course: Mapped[str] = mapped_column(String(16))  # csirt | it-bcp
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id", name="uq_people_platform_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(200))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    role: Mapped[str | None] = mapped_column(String(16))  # member | lead | expert | secretariat
    language: Mapped[str] = mapped_column(String(8), default="ja")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How to call the person back about their incident reports (/profile; JPCERT/CC report form's
    # 報告者氏名, 部署, 電話, メール). Each may stay empty; asked once, at their first report.
    full_name: Mapped[str | None] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    profile_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company | None] = relationship(lazy="raise")


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    uses_left: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlowSnapshot(Base):
    """The exact questionnaire a conversation started on (content is versioned by its hash)."""

    __tablename__ = "flow_snapshots"

    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_person_status", "person_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    flow_id: Mapped[str] = mapped_column(String(64))
    content_version: Mapped[str] = mapped_column(ForeignKey("flow_snapshots.version"))
    current_step: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|paused|completed|cancelled
    awaiting: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # On a company's hearing sheet: the newest sheet answer (SheetAnswer.id) there was when this
    # person was last shown a question, so an answer another member gave since is not overwritten.
    sheet_seen: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    # Optimistic locking: two processes answering for the same person cannot both win.
    __mapper_args__ = {"version_id_col": version}


class AnswerRow(Base):
    """Append-only: a changed answer is a new row, so the report can show what was answered when."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_conversation_key", "conversation_id", "question_key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(200))
    raw_text: Mapped[str] = mapped_column(Text)
    value: Mapped[Any] = mapped_column(JSONValue, nullable=True)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    # 分からない: an answer of its own (value None, or the question's own 分からない option), not a skip.
    unknown: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HearingSheet(Base):
    """A company's hearing sheet: one per company and flow, answered by any of its members.

    Each member keeps a conversation of their own (where they are in the sheet); the answers are
    the company's, in SheetAnswer. `version` is bumped by every answer, so two members answering
    at the same moment cannot both write on the same state (the later one is told)."""

    __tablename__ = "hearing_sheets"
    __table_args__ = (UniqueConstraint("company_id", "flow_id", name="uq_hearing_sheets_company_flow"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    flow_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | submitted
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # Whether a member other than the lead may submit (the lead decides: /hearing allow).
    members_may_submit: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class SheetAnswer(Base):
    """Append-only like AnswerRow: a changed answer is a new row and the old one stays as history.
    The current answer to a key is its newest row; who gave it is kept with it."""

    __tablename__ = "sheet_answers"
    __table_args__ = (Index("ix_sheet_answers_sheet_key", "sheet_id", "question_key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("hearing_sheets.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(200))
    raw_text: Mapped[str] = mapped_column(Text)
    value: Mapped[Any] = mapped_column(JSONValue, nullable=True)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessedEvent(Base):
    """Inbound de-duplication: insert first, act only if the insert succeeded."""

    __tablename__ = "processed_events"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Chat(Base):
    """A group chat or channel linked to a company (e.g. the company's Telegram incident group)."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "purpose", name="uq_chats_platform_chat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32), default="incidents")
    title: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallbackKey(Base):
    """A short server-side key for a button (Telegram allows 64 bytes of callback data)."""

    __tablename__ = "callback_keys"

    key: Mapped[str] = mapped_column(String(24), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notice(Base):
    """Something the bot promises to send: a broadcast, a reminder, an escalation. `ref` makes
    scheduled notices idempotent (e.g. "visit:12:reminder:P3D")."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # broadcast | reminder | event | escalation | ...
    ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    audience: Mapped[str | None] = mapped_column(String(200))  # all | course:csirt | company:NAME | ...
    payload: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxRow(Base):
    """One message to one chat: unique per (notice, platform, chat), so nothing is queued twice."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("notice_id", "platform", "chat_id", name="uq_outbox_notice_recipient"),
        Index("ix_outbox_due", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONValue)  # an Outbound as JSON
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    platform_message_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Counter(Base):
    """Named counters (e.g. incident numbers per year), incremented under a row lock."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # INC-2026-0007
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # One report per conversation: submitting the same form twice files one incident.
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    playbook_id: Mapped[str | None] = mapped_column(String(64))
    contacts: Mapped[list[str]] = mapped_column(JSONValue)
    out_of_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentEvent(Base):
    """The incident timeline, append-only: filed, update, step ticked, status, severity, attachment."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONValue, nullable=True)


class Identity(Base):
    """A platform account of a person. A person's first account is also on `people`; linking a
    Slack and a Telegram account makes both identities point to one person."""

    __tablename__ = "identities"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    platform_user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExpertAssignment(Base):
    __tablename__ = "expert_assignments"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkCode(Base):
    """A one-time code to link another platform account to a person."""

    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who read or exported which company's data, who broadcast what, who changed whose role,
    and every refusal. Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_company_at", "company_id", "at"), Index("ix_audit_log_actor_action", "actor_id", "action"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(200))  # "console:tanaka", "cli:root"
    action: Mapped[str] = mapped_column(String(64))
    allowed: Mapped[bool] = mapped_column(Boolean)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONValue, nullable=True)


# --- the programme calendar: visits, events, notices (issue 6; migration 0005)

class Visit(Base):
    """One of a company's six expert visits. `revision` grows with every move, so reminders of the
    old date (notice refs "visit:<id>:r<revision>:<offset>") are told apart from the new ones;
    `scheduled_at` is when the current date was set: reminders due before it are not sent."""

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("company_id", "number", name="uq_visits_company_number"),
        Index("ix_visits_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1..6, the visit plan in content/programme.yaml
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))  # onsite | online
    place: Mapped[str | None] = mapped_column(String(500))  # the address, or the meeting URL
    expert_name: Mapped[str | None] = mapped_column(String(200))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | cancelled
    revision: Mapped[int] = mapped_column(Integer, default=1)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VisitReply(Base):
    """A person's answer to a visit reminder: ack (確認しました) or reschedule (日程変更を相談したい)."""

    __tablename__ = "visit_replies"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)  # the visit's revision the answer was about
    answer: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Event(Base):
    """A community event (seminar, networking) with RSVPs, a capacity and an RSVP deadline."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_starts_at", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    place: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    rsvp_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    audience: Mapped[str] = mapped_column(String(200), default="all")
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | cancelled
    revision: Mapped[int] = mapped_column(Integer, default=1)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rsvp(Base):
    __tablename__ = "rsvps"
    __table_args__ = (Index("ix_rsvps_event_answer", "event_id", "answer"),)

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    answer: Mapped[str] = mapped_column(String(16))  # yes | no | waitlist
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NoticeDraft(Base):
    """A broadcast typed in chat, shown as a preview until the secretariat confirms it; confirming
    queues the notice with ref "draft:<id>", so a second press sends nothing twice."""

    __tablename__ = "notice_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | sent | cancelled
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxClaim(Base):
    """Which delivery worker holds an outbox row in "sending". A worker that died (its liveness
    lock is gone) leaves claims behind; their rows are taken over at once instead of after the
    lease."""

    __tablename__ = "outbox_claims"
    __table_args__ = (Index("ix_outbox_claims_worker_key", "worker_key"),)

    outbox_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    worker_key: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(200))  # host:pid, for people reading the table
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IntakeMiss(Base):
    """Free text the intake could not match with confidence (issue 16): kept so the secretariat can
    add phrases to the content. Read only through `helpdesk intake misses` (secretariat)."""

    __tablename__ = "intake_misses"
    __table_args__ = (Index("ix_intake_misses_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)  # the message as read, cut to what the intake reads
    best: Mapped[str | None] = mapped_column(String(100))  # the best target's key, if any
    score: Mapped[float | None] = mapped_column(Float)


# --- the secretariat's web desk (issue 20; migration 0012)

class WebLink(Base):
    """A one-time sign-in link (`helpdesk web login`, /web in chat). Only the SHA-256 of its token
    is kept: someone who reads the database cannot sign in with it."""

    __tablename__ = "web_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A signed-in browser: the SHA-256 of its cookie's id, and the CSRF token its forms carry."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- improvement items, 改善アクション (issue 19.4; migration 0013)

class ImprovementItem(Base):
    """Something the company's answers show missing (a briefing finding), to be put right: who in
    the company owns it, by when, and how far it is. `source` names what raised it
    ("finding:no_mfa"), unique per company, so syncing the findings again adds nothing. The title
    is copied from the finding's text when the item is made: editing the content later does not
    rewrite what the company agreed to work on."""

    __tablename__ = "improvement_items"
    __table_args__ = (UniqueConstraint("company_id", "source", name="uq_improvement_items_company_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(100))
    title_ja: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | doing | done
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
