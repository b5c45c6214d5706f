import secrets

import pytest

from core.config import ConfigError, Settings
from tests.servers import SECRET, WEBHOOK_SECRET


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


def test_random_secrets_of_32_characters_or_more_are_accepted_in_production() -> None:
    env = {"DATABASE_URL": "postgresql://db/triage"}
    for _ in range(200):
        made = {"TRIAGE_SECRET": secrets.token_hex(32), "TRIAGE_WEBHOOK_SECRET": secrets.token_hex(16)}
        assert Settings.from_env({**env, **made}).production  # `openssl rand -hex 32`, and half as long
    assert Settings.from_env({**env, "TRIAGE_SECRET": SECRET, "TRIAGE_WEBHOOK_SECRET": WEBHOOK_SECRET}).production


def test_a_random_secret_that_happens_to_use_few_hex_digits_is_accepted() -> None:
    # `secrets.token_hex(16)` drew it in CI: only 9 different digits, which the old rule refused.
    env = {"DATABASE_URL": "postgresql://db/triage", "TRIAGE_SECRET": SECRET}
    assert Settings.from_env({**env, "TRIAGE_WEBHOOK_SECRET": "e0023ee2ef9f5be9290f3edb3092205e"}).production


@pytest.mark.parametrize("name", ["TRIAGE_SECRET", "TRIAGE_WEBHOOK_SECRET", "TRIAGE_IDENTITY_SECRET"])
def test_a_secret_typed_as_a_run_of_characters_is_refused_naming_it(name: str) -> None:
    env = {"DATABASE_URL": "postgresql://db/triage", "TRIAGE_SECRET": SECRET}
    with pytest.raises(ConfigError, match=f"{name} is too predictable") as refused:
        Settings.from_env({**env, name: "0123456789abcdef0123456789abcdef"})
    assert "openssl rand -hex 32" in str(refused.value)
