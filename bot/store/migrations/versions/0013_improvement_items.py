"""improvement items (改善アクション): what the briefing's findings show missing, with an owner in
the company, a due date and a status

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "improvement_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("title_ja", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_improvement_items_company_id_companies", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["people.id"], name="fk_improvement_items_owner_id_people", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_improvement_items"),
        sa.UniqueConstraint("company_id", "source", name="uq_improvement_items_company_source"),
    )


def downgrade() -> None:
    op.drop_table("improvement_items")
