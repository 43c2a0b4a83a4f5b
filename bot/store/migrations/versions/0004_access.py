"""identities (linked platform accounts), expert assignments, link codes, audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_user_id", sa.String(length=128), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_identities_person_id_people", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("platform", "platform_user_id", name="pk_identities"),
    )
    op.create_index("ix_identities_person_id", "identities", ["person_id"])
    # Every existing person's own account becomes its first identity.
    op.execute(
        "INSERT INTO identities (platform, platform_user_id, person_id, created_at) "
        "SELECT platform, platform_user_id, id, created_at FROM people"
    )
    op.create_table(
        "expert_assignments",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_expert_assignments_company_id_companies", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_expert_assignments_person_id_people", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id", "company_id", name="pk_expert_assignments"),
    )
    op.create_table(
        "link_codes",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_link_codes_person_id_people", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code", name="pk_link_codes"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("detail", JSON, nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["people.id"], name="fk_audit_log_actor_id_people", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_audit_log_company_id_companies", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_company_at", "audit_log", ["company_id", "at"])
    op.create_index("ix_audit_log_actor_action", "audit_log", ["actor_id", "action"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("link_codes")
    op.drop_table("expert_assignments")
    op.drop_table("identities")
