"""Alembic environment: the engine comes from the caller (bot.migrations.upgrade)."""

from __future__ import annotations

from alembic import context

import actions.models  # noqa: F401  (registers the merchant data tables)
import bot.store  # noqa: F401  (registers the conversation tables)
import handoff.models  # noqa: F401  (registers the desk tables)
import knowledge_base.models  # noqa: F401  (registers the KB tables)
from bot.db import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite"
    )
    context.run_migrations()
