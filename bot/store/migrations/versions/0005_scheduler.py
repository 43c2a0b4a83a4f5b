"""programme calendar: visits and replies, events and RSVPs, notice drafts, outbox claims, and the
APScheduler job store table

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(length=500), nullable=True),
        sa.Column("expert_name", sa.String(length=200), nullable=True),
        sa.Column("expert_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_visits_company_id_companies", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["expert_id"], ["people.id"], name="fk_visits_expert_id_people", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_visits"),
        sa.UniqueConstraint("company_id", "number", name="uq_visits_company_number"),
    )
    op.create_index("ix_visits_starts_at", "visits", ["starts_at"])
    op.create_table(
        "visit_replies",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_visit_replies_person_id_people", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name="fk_visit_replies_visit_id_visits", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("visit_id", "person_id", name="pk_visit_replies"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=500), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("rsvp_deadline", UTC, nullable=True),
        sa.Column("audience", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_starts_at", "events", ["starts_at"])
    op.create_table(
        "rsvps",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("answered_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_rsvps_event_id_events", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_rsvps_person_id_people", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "person_id", name="pk_rsvps"),
    )
    op.create_index("ix_rsvps_event_answer", "rsvps", ["event_id", "answer"])
    op.create_table(
        "notice_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("send_at", UTC, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["people.id"], name="fk_notice_drafts_created_by_people", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name="fk_notice_drafts_notice_id_notices", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_notice_drafts"),
    )
    op.create_table(
        "outbox_claims",
        sa.Column("outbox_id", BIGID, nullable=False),
        sa.Column("worker_key", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name="fk_outbox_claims_outbox_id_outbox", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("outbox_id", name="pk_outbox_claims"),
    )
    op.create_index("ix_outbox_claims_worker_key", "outbox_claims", ["worker_key"])
    # APScheduler's SQLAlchemyJobStore table, as APScheduler 3.11 defines it (Unicode(191) id,
    # Float(25) next run time as a UTC timestamp, pickled job state).
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_apscheduler_jobs"),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_table("apscheduler_jobs")
    op.drop_table("outbox_claims")
    op.drop_table("notice_drafts")
    op.drop_table("rsvps")
    op.drop_table("events")
    op.drop_table("visit_replies")
    op.drop_table("visits")
