"""The server's one settings object. Every setting is read from `PROMPTWATCH_<NAME>` and documented here;
docs/configuration.md lists them (a test keeps the two in step)."""

from __future__ import annotations

import difflib
import os
import re
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .constants import default_data_dir

# the driver each accepted URL scheme means: `postgres://` and `postgresql://`, as hosts hand them out, are psycopg's
DATABASE_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite+pysqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROMPTWATCH_", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Directory of the embedded SQLite database, the instance secret and other local state.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; unset means SQLite at <data_dir>/promptwatch.db. "
        "PostgreSQL: postgresql://user@host/db (postgres:// and postgresql+psycopg:// too).",
    )
    database_connect_timeout_seconds: int = Field(
        default=10,
        ge=2,
        le=3600,
        description="Seconds PostgreSQL has to take a new connection before it counts as not answering.",
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
    login_window_minutes: int = Field(
        default=15, ge=1, le=1440, description="Length of the windows in which failed log-ins are counted."
    )
    login_failures_per_email_and_client: int = Field(
        default=10,
        ge=1,
        description="Failed log-ins per e-mail address and client address in a window; further ones answer 429.",
    )
    login_failures_per_email: int = Field(
        default=100,
        ge=1,
        description="Failed log-ins per e-mail address from all client addresses together in a window; further "
        "ones answer 429.",
    )
    login_failures_per_client: int = Field(
        default=100,
        ge=1,
        description="Failed log-ins per client address for all e-mail addresses together in a window; further ones "
        "answer 429.",
    )
    ingest_queue_limit: int = Field(
        default=200,
        ge=1,
        description="Ingest requests waiting for the batch writer before the native API answers 503.",
    )
    ingest_writers: int = Field(
        default=4,
        ge=1,
        le=32,
        description="Transactions the batch writer runs at once on PostgreSQL; SQLite always has one writer.",
    )
    max_request_bytes: int = Field(default=20_000_000, ge=1024, description="Largest request body accepted.")
    api_key_cache_seconds: float = Field(
        default=5.0, ge=0, description="How long a checked API key is trusted before it is looked up again."
    )
    # the prompt-improvement loop
    replay_allow_private_urls: bool = Field(
        default=False,
        description="Let replays call provider URLs that resolve to loopback, private or link-local addresses "
        "(a self-hosted model on the same network).",
    )
    replay_timeout_seconds: float = Field(default=60.0, gt=0, description="Timeout of one replay call to a provider.")
    cache_counts_flush_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between writes of the semantic cache's lookup and hit counts, gathered in memory, "
        "to the database (a clean stop writes them too; a read adds those held to the database's).",
    )
    # access and trust
    invitation_ttl_hours: int = Field(
        default=168, ge=1, le=720, description="Hours an invitation to join an account stays valid unless set."
    )
    support_grant_default_hours: int = Field(
        default=72, ge=1, le=720, description="Hours a support grant lasts when the customer sets no expiry."
    )
    support_grant_max_days: int = Field(
        default=30, ge=1, le=30, description="Longest a support grant may last, in days (at most 30)."
    )
    share_link_default_hours: int = Field(
        default=168, ge=1, description="Hours a share link lasts when its creator sets no expiry."
    )
    share_link_max_days: int = Field(default=90, ge=1, description="Longest a share link may last, in days.")
    redact_secrets_by_default: bool = Field(
        default=True,
        description="Mask API keys, tokens and passwords in ingested data of accounts that set no redaction rules.",
    )
    access_log_days: int = Field(
        default=14, ge=0, description="Days the access log keeps its entries; 0 keeps no access log at all."
    )

    cleanup_interval_seconds: float = Field(
        default=3600, ge=0, description="Seconds between cleanup cycles (purge, retention); 0 turns the cycle off."
    )
    deletion_chunk_activities: int = Field(
        default=2000,
        ge=0,
        description="Activities a bulk deletion or purge removes per transaction, so that ingestion goes on "
        "meanwhile; 0 deletes everything in one transaction.",
    )
    ledger_path: Path | None = Field(
        default=None,
        description="The append-only deletion ledger; keep it outside the database and the backups. "
        "Default: <data_dir>/ledger/deletions.jsonl.",
    )
    backup_dir: Path | None = Field(
        default=None, description="Where backups and their catalog go. Default: <data_dir>/backups."
    )
    backup_interval_hours: float = Field(
        default=24, ge=0, description="Hours between scheduled backups; 0 turns them off."
    )
    backup_retention_days: int = Field(
        default=30,
        ge=1,
        le=60,
        description="Days a backup is kept (at most 60: deleted data must leave backups by then).",
    )
    keys_dir: Path | None = Field(
        default=None,
        description="Directory of the instance master key and the accounts' wrapped data keys; outside the database "
        "and the backups. Default: <data_dir>/keys.",
    )
    encrypt_new_accounts: bool = Field(
        default=False, description="Encrypt the payloads of new accounts at rest (each account can also turn it on)."
    )
    # the server's log
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        default="warning",
        description="Least severe log records the server writes (debug, info, warning, error, critical).",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Log lines as text (time, level, logger, message) or as one JSON object per record.",
    )
    # browser apps on other sites
    cors_origins: str = Field(
        default="",
        description="Comma-separated origins (scheme://host[:port]) of browser apps elsewhere that may call the API; "
        "empty sends no CORS headers. Not `*`: list each origin.",
    )

    # customers, mail, statistics and policies
    public_url: str = Field(
        default="http://127.0.0.1:8765",
        description="The instance's address as people reach it: the base of every link it hands out. Unset, an "
        "answer's links (share, invitation, referral) take the address its request reached, and mail's links "
        "served_url, else this default.",
    )
    served_url: str | None = Field(
        default=None,
        description="The address `promptwatch up` serves at, set by `up` when it listens on one address (its "
        "workers read it from the environment); the base of links in mail when public_url is unset.",
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for the outbox; unset keeps mail queued.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP server port.")
    smtp_tls: Literal["none", "starttls", "ssl"] = Field(
        default="starttls", description="SMTP transport security: none, starttls or ssl (implicit TLS)."
    )
    smtp_username: str | None = Field(default=None, description="SMTP log-in name; unset sends without log-in.")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    mail_from: str = Field(default="PromptWatch <noreply@localhost>", description="From address of every mail.")
    outbox_poll_seconds: float = Field(
        default=5.0, gt=0, description="Seconds between outbox sending rounds; 0 is not allowed."
    )
    outbox_max_attempts: int = Field(
        default=8, ge=1, description="SMTP attempts per message before it is marked failed."
    )
    outbox_retry_seconds: float = Field(
        default=30.0, gt=0, description="First retry delay after an SMTP failure; doubles each attempt (at most 1 h)."
    )
    signup_enabled: bool = Field(
        default=False, description="Open the public sign-up form (POST /api/v1/signup) to anyone with an e-mail."
    )
    waitlist_enabled: bool = Field(default=False, description="Open the public waitlist form (POST /api/v1/waitlist).")
    waitlist_consent_text: str = Field(
        default="I agree that the operator of this PromptWatch instance may e-mail me about the product. "
        "I can opt out at any time with the link in every message.",
        description="The consent text the waitlist form shows; stored with each lead as the text they agreed to.",
    )
    public_form_rate_per_hour: int = Field(
        default=10, ge=1, description="Sign-up, waitlist and password-reset requests per client address and hour."
    )
    verification_token_hours: int = Field(
        default=48, ge=1, description="Hours an e-mail verification link stays valid."
    )
    password_reset_minutes: int = Field(default=60, ge=5, description="Minutes a password-reset link stays valid.")
    usage_stats_enabled: bool = Field(
        default=True,
        description="Count anonymous feature use and page views on this instance (P4, P5); off collects nothing.",
    )
    usage_stats_flush_seconds: float = Field(
        default=10.0, gt=0, description="Seconds between writes of the in-memory usage counters to the database."
    )
    stats_min_group_size: int = Field(
        default=5, ge=2, description="Volume statistics release a group only when it has at least this many accounts."
    )
    invoice_currency: str = Field(default="EUR", min_length=3, max_length=3, description="Currency of invoices.")
    invoice_tax_rate_percent: float = Field(
        default=0.0, ge=0, le=100, description="Tax rate applied to invoices (percent)."
    )
    invoice_issuer: str = Field(
        default="PromptWatch operator",
        description="Name and address of the invoice issuer, printed on every invoice (newlines separate lines).",
    )
    invoice_issuer_country: str | None = Field(
        default=None,
        description="Issuer's country (ISO 3166 alpha-2); a customer with a VAT id in another country is "
        "invoiced without tax (reverse charge).",
    )
    invoice_prefix: str = Field(default="INV-", max_length=20, description="Printed before invoice numbers.")
    policy_holidays: str = Field(
        default="",
        description="Comma-separated ISO dates that are not business days when counting a policy change's notice.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        """The URL with the driver its scheme means; a database other than SQLite or PostgreSQL is refused."""
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("is not a database URL; PostgreSQL: postgresql://user@host/db") from None
        driver = DATABASE_DRIVERS.get(url.drivername)
        if driver is None:
            raise ValueError(
                f"unknown database scheme {url.drivername}://; use postgresql://user@host/db, or leave it unset "
                "for SQLite"
            )
        return url.set(drivername=driver).render_as_string(hide_password=False)

    @field_validator("public_url", "served_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        """Links are built on it: a scheme and a host, or they lead nowhere."""
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL, such as https://promptwatch.example.com")
        return value

    @field_validator("policy_holidays")
    @classmethod
    def _iso_dates(cls, value: str) -> str:
        iso_dates(value)
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        return ",".join(cors_origins(value))

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    def deletion_ledger_path(self) -> Path:
        return self.ledger_path or Path(self.data_dir) / "ledger" / "deletions.jsonl"

    def backups_path(self) -> Path:
        return self.backup_dir or Path(self.data_dir) / "backups"

    def keys_path(self) -> Path:
        return self.keys_dir or Path(self.data_dir) / "keys"


def iso_dates(text: str) -> frozenset[date]:
    """The comma-separated ISO dates of `text`; a ValueError names the first part that is not one."""
    dates = set()
    for part in filter(None, (part.strip() for part in text.split(","))):
        try:
            dates.add(date.fromisoformat(part))
        except ValueError:
            raise ValueError(f"{part!r} is not a date; give comma-separated ISO dates (YYYY-MM-DD)") from None
    return frozenset(dates)


def cors_origins(text: str) -> tuple[str, ...]:
    """The comma-separated origins of `text` as browsers send them in `Origin`; a ValueError names the first part
    that is not an http(s) origin. `*` is refused: any site could then read, from its visitors' browsers, what
    the API answers without a credential (health, metrics, temporary keys) on a network only they reach."""
    origins: list[str] = []
    for part in filter(None, (part.strip() for part in text.split(","))):
        if part == "*":
            raise ValueError("'*' is not allowed: list the origins of the browser apps that call the API")
        origin = _origin(part)
        if origin is None:
            raise ValueError(
                f"{part!r} is not an origin: scheme://host[:port], no path, such as https://app.example.com"
            )
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


def _origin(text: str) -> str | None:
    """`text` written as a browser writes an origin (scheme and host in lower case, no default port), or None
    when it is not `http(s)://host[:port]`: a path (a lone `/` too), query, fragment or user name is not."""
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:  # not a number, or past 65535
        return None
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in ("http", "https") or text.lower() != f"{scheme}://{parts.netloc.lower()}" or "@" in parts.netloc:
        return None
    if not re.fullmatch(r"[a-z0-9.-]+|[0-9a-f:.]*:[0-9a-f:.]*", host):  # a name in ASCII (IDNA), or IPv6
        return None
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + (f":{port}" if port not in (None, {"http": 80, "https": 443}[scheme]) else "")


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{Path(settings.data_dir) / 'promptwatch.db'}"


class SettingsError(ValueError):
    """Settings given values they do not take: `problems` holds one line per setting, naming its environment
    variable and the rule."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# pydantic's rules in the words of docs/configuration.md; other errors keep pydantic's message
RULES = {
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "string_too_short": "must have at least {min_length} characters",
    "string_too_long": "must have at most {max_length} characters",
    "value_error": "{error}",
}


def load_settings(**values) -> Settings:
    """The settings from the environment and `values`; SettingsError lists every setting that is wrong."""
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise SettingsError([_problem(error) for error in exc.errors()]) from None


def _problem(error: ErrorDetails) -> str:
    rule = RULES.get(error["type"])
    text = rule.format(**error.get("ctx", {})) if rule else error["msg"]
    name = f"PROMPTWATCH_{str(error['loc'][0]).upper()}" if error["loc"] else "settings"
    return f"{name}: {text}"


# variables of the project's own test suite and benchmarks (`PROMPTWATCH_TEST_POSTGRES_URL`, ...), no settings
_TOOLING = ("PROMPTWATCH_TEST_", "PROMPTWATCH_BENCH_", "PROMPTWATCH_FUZZ_", "PROMPTWATCH_LEGACY_VENV")


def unknown_variables(also_known: frozenset[str] = frozenset()) -> list[str]:
    """A warning per `PROMPTWATCH_*` environment variable that is neither a setting, nor in `also_known` (the
    SDK's), nor one of the test suite's and benchmarks' (`_TOOLING`), naming the known variable it may be a
    misspelling of. Not refused: other tools may use the prefix."""
    prefix = "PROMPTWATCH_"
    known = {f"{prefix}{name.upper()}" for name in Settings.model_fields} | also_known
    names = sorted(name.removeprefix(prefix) for name in known)
    unknown = [n for n in os.environ if n.startswith(prefix) and n not in known and not n.startswith(_TOOLING)]
    warnings = []
    for variable in sorted(unknown):
        close = difflib.get_close_matches(variable.removeprefix(prefix), names, n=1, cutoff=0.6)
        hint = f"; did you mean {prefix}{close[0]}?" if close else " (ignored)"
        warnings.append(f"{variable} is not a PromptWatch setting{hint}")
    return warnings
