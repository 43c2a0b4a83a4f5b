"""a person's contact for call-backs on their incident reports: name, department, phone, mail,
and when the bot first asked for them (asked once per person; each may be left empty)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("full_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("department", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("profile_asked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        for column in ("profile_asked_at", "email", "phone", "department", "full_name"):
            batch.drop_column(column)
