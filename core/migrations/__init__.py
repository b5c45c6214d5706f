"""Alembic migrations for SQLite and PostgreSQL, run programmatically at start-up."""

from __future__ import annotations

import logging
from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("core") / "migrations"))
    config.attributes["engine"] = engine
    return config


# Alembic names each of its plugins at INFO on every start: nine lines that say nothing of the schema.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def upgrade(engine: Engine) -> None:
    command.upgrade(alembic_config(engine), "head")
