"""The migrations build the schema the models describe: a column added to a model needs one."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import bot.store  # noqa: F401  (each package's models register on Base.metadata)
import handoff.models
import handoff.quality  # noqa: F401
import knowledge_base.models  # noqa: F401
import merchant.models  # noqa: F401
from core.db import Base, Database


def test_the_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.migrate()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
