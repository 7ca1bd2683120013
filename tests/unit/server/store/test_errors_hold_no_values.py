"""A database error, as raised and as its traceback is logged, holds no stored value: neither the statement's
bound parameters (ids, tenants, password hashes) nor PostgreSQL's detail that repeats the refused row."""

from __future__ import annotations

import traceback
from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError

from promptwatch.server.store import accounts as account_store
from tests.support.databases import current_store

NOW = datetime(2026, 11, 29, 12, 34, 56, tzinfo=timezone.utc)
EMAIL = "person-7f3a@example.test"
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0LXNhbHQ$aGFzaC10aGF0LW11c3Qtbm90LWxlYWs"


@pytest.fixture
def engine(backend, tmp_path):
    with current_store(backend, tmp_path) as engine:
        yield engine


def logged(error: BaseException) -> str:
    """The error as a log handler writes it: message and traceback, with the driver's error it came from."""
    return "".join(traceback.format_exception(error))


def assert_no_values(text: str) -> None:
    for value in (EMAIL, HASH, "2026-11-29", "12:34:56"):
        assert value not in text, text


def test_a_duplicate_key_error_names_no_value(engine):
    with engine.begin() as conn:
        account_store.create_user(conn, EMAIL, "another-hash", NOW)
    with pytest.raises(IntegrityError) as refused, engine.begin() as conn:
        account_store.create_user(conn, EMAIL, HASH, NOW, "operator")
    assert "unique" in str(refused.value).lower()  # what went wrong is still said
    assert_no_values(str(refused.value))
    assert_no_values(logged(refused.value))


def test_a_refused_row_is_not_repeated(engine):
    with pytest.raises(IntegrityError) as refused, engine.begin() as conn:
        account_store.create_user(conn, None, HASH, NOW, "operator")  # e-mail is NOT NULL
    assert_no_values(str(refused.value))
    assert_no_values(logged(refused.value))


@pytest.mark.postgresql
def test_a_value_of_the_wrong_type_is_not_repeated(engine):
    """PostgreSQL quotes a value it cannot read in the first line of its message (`invalid input syntax for
    type integer: "…"`)."""
    with pytest.raises(DataError) as refused, engine.connect() as conn:
        conn.execute(text("SELECT CAST(:value AS integer)"), {"value": EMAIL})
    assert "invalid input syntax for type integer" in str(refused.value)
    assert_no_values(str(refused.value))
    assert_no_values(logged(refused.value))
