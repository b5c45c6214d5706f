"""knowledge base: the unanswered-question inbox (messages.outcome, kb_inbox_marks)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Messages from before this revision keep no outcome: the inbox starts from the upgrade.
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_outcome"), ["outcome"], unique=False)

    op.create_table(
        "kb_inbox_marks",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=80), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["kb_entries.id"], name=op.f("fk_kb_inbox_marks_entry_id_kb_entries"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_kb_inbox_marks_message_id_messages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_kb_inbox_marks")),
    )


def downgrade() -> None:
    op.drop_table("kb_inbox_marks")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_outcome"))
        batch_op.drop_column("outcome")
