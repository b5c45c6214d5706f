"""Alembic environment: the engine comes from the caller (core.migrations.upgrade).

The revisions are written by hand against `core.sqltypes`. The caller may pass the models'
metadata (`attributes["metadata"]`) for `alembic revision --autogenerate`; an upgrade needs none.
"""

from __future__ import annotations

from alembic import context

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=context.config.attributes.get("metadata"),
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
