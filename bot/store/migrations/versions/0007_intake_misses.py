"""free-text intake: messages the intake could not match with confidence, for the secretariat

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "intake_misses",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("best", sa.String(length=100), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_intake_misses_person_id_people", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_intake_misses"),
    )
    op.create_index("ix_intake_misses_created_at", "intake_misses", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_intake_misses_created_at", table_name="intake_misses")
    op.drop_table("intake_misses")
