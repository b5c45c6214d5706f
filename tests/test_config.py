import pytest

from bot.config import ConfigError, Settings
from tests.servers import SECRET


def test_embedded_defaults_use_sqlite_in_the_data_dir_and_no_redis() -> None:
    s = Settings.from_env({}, data_dir="/tmp/somewhere")
    assert s.database_url == "sqlite:////tmp/somewhere/triage.db"
    assert s.redis_url is None and s.embedded


def test_production_urls_are_taken_and_postgres_uses_psycopg() -> None:
    s = Settings.from_env(
        {"DATABASE_URL": "postgres://u@db/x", "REDIS_URL": "redis://r:6379/0", "TRIAGE_SECRET": SECRET}
    )
    assert s.database_url == "postgresql+psycopg://u@db/x"
    assert s.redis_url == "redis://r:6379/0" and not s.embedded and s.production


def test_a_bad_number_fails_loudly_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="TRIAGE_OOS_THRESHOLD"):
        Settings.from_env({"TRIAGE_OOS_THRESHOLD": "high"})


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ConfigError, match="TRIAGE_OOS_THRESHOLD <= TRIAGE_ANSWER_THRESHOLD"):
        Settings.from_env({"TRIAGE_OOS_THRESHOLD": "0.8", "TRIAGE_ANSWER_THRESHOLD": "0.5"})
