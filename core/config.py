"""Settings, read once from the environment (or a mapping in tests), with embedded defaults."""

from __future__ import annotations

import math
import os
import string
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


# What a secret copied from an example or left at a default looks like.
_PLACEHOLDERS = ("change", "example", "placeholder", "default", "secret", "password", "your", "xxx", "todo")


# A secret must be this hard to guess by the estimate below. 32 random hex characters carry 128
# bits and scored 104 at the least in 220,000 tries (chance runs cost a few bits);
# `0123456789abcdef0123456789abcdef` scores 50.
_MIN_SECRET_BITS = 100


def _alphabet(value: str) -> int:
    """How many characters each one of `value` was drawn from, judging by the kinds it uses."""
    chars = set(value)
    if chars <= set(string.digits + "abcdef") or chars <= set(string.digits + "ABCDEF"):
        return 16
    kinds = (string.digits, string.ascii_lowercase, string.ascii_uppercase)
    size = sum(len(kind) for kind in kinds if chars & set(kind))
    return size + (33 if chars - set(string.ascii_letters + string.digits) else 0)


def guessable_bits(value: str) -> float:
    """A rough count of the bits a guesser must find: each character is worth its alphabet's bits,
    but one that continues a run (`abc`, `2468`, `aaa`) or ends three characters seen before
    (`…9f86…9f86`) is worth one."""
    full = math.log2(_alphabet(value)) if value else 0.0
    bits = 0.0
    for i, char in enumerate(value):
        runs = i >= 2 and ord(char) - ord(value[i - 1]) == ord(value[i - 1]) - ord(value[i - 2])
        repeats = i >= 3 and value[i - 2 : i + 1] in value[:i]
        bits += 1.0 if runs or repeats else full
    return bits


def _refuse_weak(name: str, value: str | None, *, required: bool = False) -> None:
    """Production will not start on a missing, short, copied-from-the-docs or made-up secret."""
    if value is None:
        if required:
            raise ConfigError(f"{name} must be set in production (32+ random characters, e.g. `openssl rand -hex 32`)")
        return
    lowered = value.lower()
    # Fewer than 6 different characters is a pattern; 32 random hex characters show fewer than 10 once in
    # about 10,000 secrets (measured), so 10 refused real ones.
    if len(value) < 32 or len(set(value)) < 6 or any(p in lowered for p in _PLACEHOLDERS):
        raise ConfigError(f"{name} looks like a placeholder or is too short: use 32+ random characters")
    bits = guessable_bits(value)
    if bits < _MIN_SECRET_BITS:
        raise ConfigError(
            f"{name} is too predictable (about {bits:.0f} bits where {_MIN_SECRET_BITS} are needed: runs such as"
            " 0123 or abcd, or repeated parts): use random characters, e.g. `openssl rand -hex 32`"
        )


def _cache_dir(env: Mapping[str, str], data_dir: Path) -> Path | None:
    raw = env.get("TRIAGE_MODEL_CACHE", "")
    if raw.lower() == "off":
        return None
    return Path(raw).resolve() if raw else data_dir / "model-cache"


def kept(path: Path, make: Callable[[], str]) -> str:
    """A value made once and kept in a file only its owner can read (the demo's secrets)."""
    if path.exists() and path.read_text(encoding="utf-8").strip():
        os.chmod(path, 0o600)
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = make()
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        f.write(value + "\n")
    return value


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
    # demo (the embedded default: anonymous chat callers allowed, secrets made per data dir)
    # or production (the default with PostgreSQL or Redis): every caller proven, real secrets.
    env: str = "demo"
    # Signs web chat session tokens; production must set it (the demo makes one per data dir).
    secret: str | None = None
    # Shared with channel integrations that sign their requests (core/security.py).
    webhook_secret: str | None = None
    # Browser origins allowed to call the API from other sites (the chat widget on the shop).
    cors_origins: tuple[str, ...] = ()
    # Messages a minute per sender and per client address; 0 turns a limit off.
    rate_per_sender: int = 30
    rate_per_ip: int = 600
    # Where trained NLU models are kept between starts (bot/nlu/cache.py); None: train each time.
    model_cache: Path | None = None
    # Conversation turns one instance works on at once (threads); more only queue for the GIL.
    turn_threads: int = 4
    # Where customers and platforms reach this deployment (https://chat.shop.example.com): the
    # signed links to photos sent to chat apps start with it. Unset: the request's own address.
    public_url: str | None = None
    # WeChat Official Account (bot/channels/wechat.py), from 公众号 › 设置与开发 › 基本配置: the
    # Token, the AppID and AppSecret, and the EncodingAESKey of 安全模式. No token: channel off.
    wechat_token: str | None = None
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    wechat_aes_key: str | None = None
    wechat_api: str = "https://api.weixin.qq.com"
    # Telegram (bot/channels/telegram.py): the bot token from @BotFather and the secret token
    # `triage telegram set-webhook` registers with the webhook. No token: channel off.
    telegram_token: str | None = None
    telegram_secret: str | None = None
    telegram_api: str = "https://api.telegram.org"
    # Photos and files customers and agents send (core/media.py): files under data_dir/media, or
    # an S3-compatible bucket when media_s3_bucket is set (credentials: AWS_ACCESS_KEY_ID and
    # AWS_SECRET_ACCESS_KEY, read by boto3 itself).
    media_max_bytes: int = 10 * 1024 * 1024
    media_s3_bucket: str | None = None
    media_s3_endpoint: str | None = None
    media_s3_region: str = "us-east-1"
    # How long a signed link to a photo works.
    media_link_seconds: int = 3600

    @property
    def embedded(self) -> bool:
        return self.redis_url is None and self.database_url.startswith("sqlite")

    @property
    def production(self) -> bool:
        return self.env == "production"

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
        embedded = not redis_url and database_url.startswith("sqlite")
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
            env=env.get("TRIAGE_ENV") or ("demo" if embedded else "production"),
            secret=env.get("TRIAGE_SECRET") or None,
            webhook_secret=env.get("TRIAGE_WEBHOOK_SECRET") or None,
            cors_origins=tuple(
                o.strip().rstrip("/") for o in env.get("TRIAGE_CORS_ORIGINS", "").split(",") if o.strip()
            ),
            rate_per_sender=_number(env, "TRIAGE_RATE_PER_SENDER", 30, int),
            rate_per_ip=_number(env, "TRIAGE_RATE_PER_IP", 600, int),
            model_cache=_cache_dir(env, data_dir),
            turn_threads=_number(env, "TRIAGE_TURN_THREADS", 4, int),
            public_url=(env.get("TRIAGE_PUBLIC_URL") or "").rstrip("/") or None,
            wechat_token=env.get("TRIAGE_WECHAT_TOKEN") or None,
            wechat_app_id=env.get("TRIAGE_WECHAT_APP_ID") or None,
            wechat_app_secret=env.get("TRIAGE_WECHAT_APP_SECRET") or None,
            wechat_aes_key=env.get("TRIAGE_WECHAT_AES_KEY") or None,
            wechat_api=(env.get("TRIAGE_WECHAT_API") or "https://api.weixin.qq.com").rstrip("/"),
            telegram_token=env.get("TRIAGE_TELEGRAM_TOKEN") or None,
            telegram_secret=env.get("TRIAGE_TELEGRAM_SECRET") or None,
            telegram_api=(env.get("TRIAGE_TELEGRAM_API") or "https://api.telegram.org").rstrip("/"),
            media_max_bytes=_number(env, "TRIAGE_MEDIA_MAX_BYTES", 10 * 1024 * 1024, int),
            media_s3_bucket=env.get("TRIAGE_MEDIA_S3_BUCKET") or None,
            media_s3_endpoint=env.get("TRIAGE_MEDIA_S3_ENDPOINT") or None,
            media_s3_region=env.get("TRIAGE_MEDIA_S3_REGION") or "us-east-1",
            media_link_seconds=_number(env, "TRIAGE_MEDIA_LINK_SECONDS", 3600, int),
        )
        if settings.env not in ("demo", "production"):
            raise ConfigError(f"TRIAGE_ENV must be demo or production, got {settings.env!r}")
        if settings.production:
            _refuse_weak("TRIAGE_SECRET", settings.secret, required=True)
            _refuse_weak("TRIAGE_WEBHOOK_SECRET", settings.webhook_secret)
            _refuse_weak("TRIAGE_IDENTITY_SECRET", settings.identity_secret)
        if "*" in settings.cors_origins:
            raise ConfigError("TRIAGE_CORS_ORIGINS: name the origins (https://shop.example.com), not *")
        short = [k for k in settings.sync_api_keys if len(k) < 16]
        if short:
            raise ConfigError("TRIAGE_SYNC_API_KEYS: every key must be at least 16 characters")
        if settings.wechat_aes_key is not None and len(settings.wechat_aes_key) != 43:
            raise ConfigError("TRIAGE_WECHAT_AES_KEY: WeChat's EncodingAESKey is 43 characters")
        if settings.telegram_token and settings.production:
            _refuse_weak("TRIAGE_TELEGRAM_SECRET", settings.telegram_secret, required=True)
        if settings.media_max_bytes < 1:
            raise ConfigError("TRIAGE_MEDIA_MAX_BYTES must be at least 1")
        if settings.turn_threads < 1:
            raise ConfigError("TRIAGE_TURN_THREADS must be at least 1")
        if not 0 <= settings.oos_threshold <= settings.answer_threshold < 1:
            raise ConfigError("need 0 <= TRIAGE_OOS_THRESHOLD <= TRIAGE_ANSWER_THRESHOLD < 1")
        return settings
