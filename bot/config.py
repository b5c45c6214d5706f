"""Settings, read once from the environment (or a mapping in tests), with embedded defaults."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

N = TypeVar("N", int, float)


class ConfigError(ValueError):
    """A setting is present but unusable; the message names it."""


def _number(env: Mapping[str, str], name: str, default: N, cast: Callable[[str], N]) -> N:
    """`name` from `env` cast to the default's type; unset or empty means the default."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return cast(raw)
    except ValueError as exc:
        kind = "a whole number" if cast is int else "a number"
        raise ConfigError(f"{name} must be {kind}, got {raw!r}") from exc


def _moment(env: Mapping[str, str], name: str) -> datetime | None:
    raw = env.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an ISO 8601 time, got {raw!r}") from exc
    if moment.tzinfo is None:
        raise ConfigError(f"{name} needs a time zone, e.g. 2026-11-23T10:00:00+08:00")
    return moment


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    oos_threshold: float
    answer_threshold: float
    max_message_chars: int
    max_body_bytes: int
    # The merchant's order system authenticates to the sync API with one of these keys.
    sync_api_keys: tuple[str, ...] = ()
    # Where the rasa-sdk action server listens (its /webhook); unset runs the actions in-process.
    action_endpoint_url: str | None = None
    # Shared secret that signs identities a channel has verified (see bot/identity.py).
    identity_secret: str | None = None
    # The merchant's clock stopped at this moment (demos and tests); unset means the real time.
    frozen_now: datetime | None = None

    @property
    def embedded(self) -> bool:
        return self.redis_url is None and self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(str(overrides.get("data_dir") or env.get("TRIAGE_DATA_DIR") or "triage-data")).resolve()
        database_url = str(
            overrides.get("database_url") or env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'triage.db'}"
        )
        if database_url.startswith("postgres://"):
            database_url = "postgresql://" + database_url.removeprefix("postgres://")
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
        redis_url = overrides.get("redis_url", env.get("REDIS_URL") or None)
        settings = cls(
            data_dir=data_dir,
            database_url=database_url,
            redis_url=str(redis_url) if redis_url else None,
            oos_threshold=_number(env, "TRIAGE_OOS_THRESHOLD", 0.3, float),
            answer_threshold=_number(env, "TRIAGE_ANSWER_THRESHOLD", 0.5, float),
            max_message_chars=_number(env, "TRIAGE_MAX_MESSAGE_CHARS", 2000, int),
            max_body_bytes=_number(env, "TRIAGE_MAX_BODY_BYTES", 64 * 1024, int),
            sync_api_keys=tuple(k.strip() for k in env.get("TRIAGE_SYNC_API_KEYS", "").split(",") if k.strip()),
            action_endpoint_url=str(overrides.get("action_endpoint_url", env.get("ACTION_ENDPOINT_URL") or "")) or None,
            identity_secret=env.get("TRIAGE_IDENTITY_SECRET") or None,
            frozen_now=_moment(env, "TRIAGE_FROZEN_NOW"),
        )
        short = [k for k in settings.sync_api_keys if len(k) < 16]
        if short:
            raise ConfigError("TRIAGE_SYNC_API_KEYS: every key must be at least 16 characters")
        if not 0 <= settings.oos_threshold <= settings.answer_threshold < 1:
            raise ConfigError("need 0 <= TRIAGE_OOS_THRESHOLD <= TRIAGE_ANSWER_THRESHOLD < 1")
        return settings
