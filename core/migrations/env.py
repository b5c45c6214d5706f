"""Alembic environment: the engine comes from the caller (core.migrations.upgrade).

The revisions are written by hand against `core.db` types. `Base.metadata` holds whichever
tables the running process has imported: all of them under `triage` (the composition root
imports every package), which is what `alembic revision --autogenerate` needs.
"""

from __future__ import annotations

from alembic import context

from core.db import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite"
    )
    context.run_migrations()
