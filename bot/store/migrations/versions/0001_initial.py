"""initial schema: companies, people, invitations, conversations, answers, inbound de-duplication

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the model types: a migration must not change when the models do.
UTC = sa.DateTime(timezone=True)
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("course", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_companies"),
        sa.UniqueConstraint("name", name="uq_companies_name"),
    )
    op.create_table(
        "flow_snapshots",
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("flow_id", sa.String(length=64), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_flow_snapshots"),
    )
    op.create_table(
        "processed_events",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("platform", "event_id", name="pk_processed_events"),
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("uses_left", sa.Integer(), nullable=True),
        sa.Column("expires_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_invitations_company_id_companies", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.UniqueConstraint("code", name="uq_invitations_code"),
    )
    op.create_index("ix_invitations_company_id", "invitations", ["company_id"])
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_user_id", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_people_company_id_companies", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("platform", "platform_user_id", name="uq_people_platform_user"),
    )
    op.create_index("ix_people_company_id", "people", ["company_id"])
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.String(length=64), nullable=False),
        sa.Column("content_version", sa.String(length=32), nullable=False),
        sa.Column("current_step", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("awaiting", sa.String(length=32), nullable=True),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("completed_at", UTC, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_version"], ["flow_snapshots.version"],
            name="fk_conversations_content_version_flow_snapshots",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_conversations_person_id_people", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
    )
    op.create_index("ix_conversations_person_status", "conversations", ["person_id", "status"])
    op.create_table(
        "answers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=200), nullable=False),
        sa.Column("raw_text", sa.Text(), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("answered_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"],
            name="fk_answers_conversation_id_conversations", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_answers"),
    )
    op.create_index("ix_answers_conversation_key", "answers", ["conversation_id", "question_key"])


def downgrade() -> None:
    op.drop_table("answers")
    op.drop_table("conversations")
    op.drop_table("people")
    op.drop_table("invitations")
    op.drop_table("processed_events")
    op.drop_table("flow_snapshots")
    op.drop_table("companies")
