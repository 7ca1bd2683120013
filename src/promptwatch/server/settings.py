"""The server's one settings object. Every setting is read from `PROMPTWATCH_<NAME>` and documented here;
docs/configuration.md lists them (a test keeps the two in step)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path.home() / ".promptwatch"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROMPTWATCH_", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Directory of the embedded SQLite database, the instance secret and other local state.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; unset means SQLite at <data_dir>/promptwatch.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    instance_secret: str | None = Field(
        default=None,
        description="Secret that keys the API-key hashes. Unset: generated once into <data_dir>/keys/instance.secret.",
    )
    multi_account: bool = Field(
        default=False,
        description="True when the instance serves several customer accounts (turns temporary keys off by default).",
    )
    temp_keys_enabled: bool | None = Field(
        default=None,
        description="Hand out temporary sandbox keys at POST /api/v1/temp-keys. Default: on unless multi_account.",
    )
    temp_key_ttl_days: int = Field(default=7, ge=1, description="Days a sandbox account and its data live.")
    temp_key_rate_per_hour: int = Field(
        default=20, ge=1, description="Temporary keys handed out per client address and hour."
    )
    password_time_cost: int = Field(default=3, ge=1, description="argon2 time cost for passwords.")
    password_memory_cost: int = Field(default=65536, ge=32, description="argon2 memory cost (KiB) for passwords.")
    login_token_hours: int = Field(default=12, ge=1, description="Hours a UI log-in token stays valid.")
    ingest_queue_limit: int = Field(
        default=200,
        ge=1,
        description="Ingest requests waiting for the batch writer before the native API answers 503.",
    )
    max_request_bytes: int = Field(default=20_000_000, ge=1024, description="Largest request body accepted.")
    api_key_cache_seconds: float = Field(
        default=5.0, ge=0, description="How long a checked API key is trusted before it is looked up again."
    )


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{Path(settings.data_dir) / 'promptwatch.db'}"
