"""answers: an `unknown` flag, so that 分からない is recorded as its own state, distinct from a skip
(issue 18 point 4): the hearing report lists these for the expert to ask at visit 1

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        # Existing rows were typed before 分からない was an answer: false, not null.
        batch.add_column(sa.Column("unknown", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("unknown")
