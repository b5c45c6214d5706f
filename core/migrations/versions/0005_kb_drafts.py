"""knowledge base: a pending draft per entry (kb_entries.draft)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.sqltypes import JsonType

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Unpublished edits to a live entry: the bot keeps answering the published columns.
    op.add_column("kb_entries", sa.Column("draft", JsonType, nullable=True))


def downgrade() -> None:
    op.drop_column("kb_entries", "draft")
