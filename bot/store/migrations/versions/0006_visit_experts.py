"""a visit's expert is an expert assigned to the visit's company, or text matched to nobody

Until now a visit's expert was looked up by display name among all experts, so an expert of
another company with the same name could be linked and receive the visit's notices and buttons.
Links to an expert not assigned to the visit's company are dropped; every visit keeps the name
it shows (expert_name) as it was.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE visits SET expert_id = NULL WHERE expert_id IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM expert_assignments a WHERE a.person_id = visits.expert_id AND a.company_id = visits.company_id)"
    )


def downgrade() -> None:
    # The dropped links were wrong ones; nothing to restore.
    pass
