"""quality review: checklist versions, samples, reviews (handoff/quality.py)

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.sqltypes import JsonType

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No rows: the default checklist is written on its first read (handoff/quality.py).
    op.create_table(
        "quality_checklists",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("items", JsonType, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["agents.id"], name=op.f("fk_quality_checklists_created_by_agents")),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_quality_checklists")),
    )
    op.create_table(
        "quality_samples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("drawn_by", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("queue", sa.String(length=20), nullable=True),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_quality_samples_agent_id_agents")),
        sa.ForeignKeyConstraint(["drawn_by"], ["agents.id"], name=op.f("fk_quality_samples_drawn_by_agents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_samples")),
    )
    op.create_table(
        "quality_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("checklist_version", sa.Integer(), nullable=True),
        sa.Column("scores", JsonType, nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_quality_reviews_agent_id_agents")),
        sa.ForeignKeyConstraint(
            ["checklist_version"],
            ["quality_checklists.version"],
            name=op.f("fk_quality_reviews_checklist_version_quality_checklists"),
        ),
        sa.ForeignKeyConstraint(["reviewer_id"], ["agents.id"], name=op.f("fk_quality_reviews_reviewer_id_agents")),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["quality_samples.id"],
            name=op.f("fk_quality_reviews_sample_id_quality_samples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_quality_reviews_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_reviews")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_quality_reviews_ticket_id")),
    )
    with op.batch_alter_table("quality_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_reviews_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_reviews_sample_id"), ["sample_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quality_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_reviews_sample_id"))
        batch_op.drop_index(batch_op.f("ix_quality_reviews_agent_id"))
    op.drop_table("quality_reviews")
    op.drop_table("quality_samples")
    op.drop_table("quality_checklists")
