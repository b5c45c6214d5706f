"""knowledge base: version history of staff edits (kb_entry_versions)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 17:17:41.493369
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.sqltypes import JsonType

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_entry_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", JsonType, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["kb_entries.id"], name=op.f("fk_kb_entry_versions_entry_id_kb_entries"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_entry_versions")),
        sa.UniqueConstraint("entry_id", "version", name=op.f("uq_kb_entry_versions_entry_id")),
    )
    with op.batch_alter_table("kb_entry_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_entry_versions_entry_id"), ["entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kb_entry_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_entry_versions_entry_id"))
    op.drop_table("kb_entry_versions")
