"""An OverflowError is a 422 "cannot be stored" only when the database driver refused a value (SQLite binding an
integer past 64 bits); one raised by the server's own code (date arithmetic past the year 9999) is a bug: a 500
with its traceback logged, never a misleading 422 naming no field."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import orjson
import pytest
from sqlalchemy import create_engine, text
from starlette.requests import Request

from promptwatch.server.api import problems


def request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/api/v1/metrics/usage", "headers": []})


def raised(action) -> BaseException:
    try:
        action()
    except OverflowError as exc:
        return exc
    raise AssertionError("no OverflowError")


def test_the_drivers_refusal_of_an_integer_past_64_bits_is_a_422():
    with create_engine("sqlite://").connect() as conn:
        exc = raised(lambda: conn.execute(text("SELECT :n"), {"n": 2**70}))
    answer = asyncio.run(problems.unstorable_value(request(), exc))
    assert answer.status_code == 422
    assert "cannot be stored" in orjson.loads(answer.body)["detail"]


@pytest.mark.parametrize(
    "action",
    [lambda: datetime.max + timedelta(hours=1), lambda: datetime.min - timedelta(days=1), lambda: 10.0**400],
    ids=["past-9999", "before-1", "float"],
)
def test_an_overflow_of_the_servers_own_code_is_a_logged_500(caplog, action):
    exc = raised(action)
    with caplog.at_level(logging.ERROR, logger="promptwatch.server"):
        answer = asyncio.run(problems.unstorable_value(request(), exc))
    assert answer.status_code == 500
    assert orjson.loads(answer.body)["detail"] == "the server failed; the error is in its log"
    assert [record.exc_info[1] for record in caplog.records] == [exc]
