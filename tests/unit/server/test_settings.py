"""Settings from the environment: a wrong value is a line naming its variable and the rule, and the database
URL's scheme names the driver (`postgres://` as hosts hand it out is PostgreSQL through psycopg)."""

from __future__ import annotations

import pytest

from promptwatch.server.settings import SettingsError, load_settings, resolve_database_url


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("PROMPTWATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("PROMPTWATCH_DATA_DIR", str(tmp_path))


def problems(monkeypatch, **env: str) -> list[str]:
    for name, value in env.items():
        monkeypatch.setenv(f"PROMPTWATCH_{name.upper()}", value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    return raised.value.problems


def test_each_wrong_setting_is_one_line_naming_its_variable_and_rule(monkeypatch):
    assert problems(monkeypatch, backup_retention_days="90", smtp_port="0", ingest_writers="lots") == [
        "PROMPTWATCH_INGEST_WRITERS: Input should be a valid integer, unable to parse string as an integer",
        "PROMPTWATCH_BACKUP_RETENTION_DAYS: must be at most 60",
        "PROMPTWATCH_SMTP_PORT: must be at least 1",
    ]


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://user:pw@db.example.com:5433/app", "postgresql+psycopg://user:pw@db.example.com:5433/app"),
        ("postgresql://user@host/db?sslmode=require", "postgresql+psycopg://user@host/db?sslmode=require"),
        ("postgresql+psycopg://user@host/db", "postgresql+psycopg://user@host/db"),
        ("sqlite:////var/lib/pw/promptwatch.db", "sqlite:////var/lib/pw/promptwatch.db"),
    ],
)
def test_postgres_and_postgresql_urls_mean_psycopg(monkeypatch, given, used):
    monkeypatch.setenv("PROMPTWATCH_DATABASE_URL", given)
    assert resolve_database_url(load_settings()) == used


@pytest.mark.parametrize(
    ("given", "rule"),
    [
        ("mysql://user@host/db", "unknown database scheme mysql://"),
        ("postgresql+asyncpg://user@host/db", "unknown database scheme postgresql+asyncpg://"),
        ("host/db", "is not a database URL"),
    ],
)
def test_a_database_other_than_sqlite_or_postgresql_is_refused(monkeypatch, given, rule):
    [line] = problems(monkeypatch, database_url=given)
    assert line.startswith(f"PROMPTWATCH_DATABASE_URL: {rule}"), line
