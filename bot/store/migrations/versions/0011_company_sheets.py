"""the hearing sheet belongs to the company: hearing_sheets (one per company and flow) and
sheet_answers (append-only, with who answered), conversations.sheet_seen; each company's existing hearing answers (its latest
completed hearing conversation, else the latest one worked on) are copied into its sheet

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "hearing_sheets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("company_id", sa.Integer(), sa.ForeignKey("companies.id", ondelete="CASCADE"), nullable=False),
        sa.Column("flow_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="open"),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.Integer(), sa.ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
        sa.Column("members_may_submit", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.UniqueConstraint("company_id", "flow_id", name="uq_hearing_sheets_company_flow"),
    )
    op.create_table(
        "sheet_answers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("sheet_id", sa.Integer(), sa.ForeignKey("hearing_sheets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("question_key", sa.String(length=200), nullable=False),
        sa.Column("raw_text", sa.Text(), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("unknown", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sheet_answers_sheet_key", "sheet_answers", ["sheet_id", "question_key"])
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("sheet_seen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
    _copy_person_sheets()


def _copy_person_sheets() -> None:
    """Before this revision each person had a sheet of their own. The company keeps the one its
    report used: the latest completed, else the latest worked on. Hearing flows are the ones whose
    id starts with "hearing" (content/hearing/flows.yaml; a migration cannot load the content)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT c.id, c.flow_id, c.person_id, c.status, c.updated_at, p.company_id "
            "FROM conversations c JOIN people p ON p.id = c.person_id "
            "WHERE c.flow_id LIKE 'hearing%' AND p.company_id IS NOT NULL "
            "AND c.status <> 'cancelled' ORDER BY c.updated_at, c.id"
        )
    ).all()
    # Rows come oldest first: a later one replaces an earlier, and a completed one is replaced
    # only by a later completed one.
    chosen: dict[tuple[int, str], tuple[bool, object, int, int]] = {}
    for conversation_id, flow_id, person_id, status, updated_at, company_id in rows:
        best = chosen.get((company_id, flow_id))
        completed = status == "completed"
        if best is None or completed or not best[0]:
            chosen[(company_id, flow_id)] = (completed, updated_at, person_id, conversation_id)
    for (company_id, flow_id), (_, updated_at, person_id, conversation_id) in chosen.items():
        sheet_id = bind.execute(
            sa.text(
                "INSERT INTO hearing_sheets (company_id, flow_id, status, members_may_submit, created_at, "
                "updated_at, version) VALUES (:company, :flow, 'open', :no, :at, :at, 1) RETURNING id"
            ),
            {"company": company_id, "flow": flow_id, "at": updated_at, "no": False},
        ).scalar_one()
        bind.execute(
            sa.text(
                "INSERT INTO sheet_answers (sheet_id, question_key, raw_text, value, skipped, unknown, "
                "person_id, answered_at) SELECT :sheet, question_key, raw_text, value, skipped, unknown, "
                ":person, answered_at FROM answers WHERE conversation_id = :conversation ORDER BY id"
            ),
            {"sheet": sheet_id, "person": person_id, "conversation": conversation_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("sheet_seen")
    op.drop_index("ix_sheet_answers_sheet_key", table_name="sheet_answers")
    op.drop_table("sheet_answers")
    op.drop_table("hearing_sheets")
