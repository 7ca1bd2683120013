"""The fixed-window rate limiter: a take-back uncounts the very bucket its hit counted, even when the window
changed in between (a log-in counted just before a window's end, its right password checked just after)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from promptwatch.server.services.public_forms import RateLimiter
from promptwatch.server.services.runtime import Runtime
from promptwatch.server.settings import Settings
from promptwatch.server.store.tables.mail import rate_limits
from tests.support.databases import current_store

WINDOW_SECONDS = 60
BOUNDARY = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)  # a window ends here (windows start on the minute)
BEFORE, AFTER = BOUNDARY - timedelta(seconds=1), BOUNDARY + timedelta(seconds=1)


class Clock:
    """A time that stands still until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(backend, tmp_path):
    with current_store(backend, tmp_path) as engine:
        yield engine


@pytest.fixture
def clock() -> Clock:
    return Clock(BEFORE)


@pytest.fixture
def limiter(engine, tmp_path, clock) -> RateLimiter:
    settings = Settings(
        data_dir=tmp_path,
        database_url=engine.url.render_as_string(hide_password=False),
        instance_secret="test-instance-secret",
    )
    return RateLimiter(Runtime.build(settings, engine), WINDOW_SECONDS, clock=clock)


def stored_hits(engine, buckets) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(rate_limits.c.hits).where(rate_limits.c.bucket.in_(buckets))).scalars())


def test_a_take_back_after_the_window_ended_uncounts_the_window_it_was_counted_in(engine, limiter, clock):
    counted = limiter.hit("login|a", "login-client|b")
    assert counted.counts == (1, 1)
    clock.now = AFTER
    limiter.take_back(counted)
    assert stored_hits(engine, counted.buckets) == [0, 0]


def test_a_take_back_after_the_window_ended_leaves_the_new_windows_failures_counted(limiter, clock):
    counted = limiter.hit("login|a")
    clock.now = AFTER
    assert limiter.hit("login|a").counts == (1,)  # a failure in the new window
    limiter.take_back(counted)
    assert limiter.hit("login|a").counts == (2,)


def test_a_take_back_in_the_same_window_uncounts_its_hit(limiter):
    assert limiter.hit("login|a").counts == (1,)
    limiter.take_back(limiter.hit("login|a"))
    assert limiter.hit("login|a").counts == (2,)


def test_seconds_left_count_to_the_end_of_the_window(limiter, clock):
    assert limiter.seconds_left() == 1
    clock.now = AFTER
    assert limiter.seconds_left() == WINDOW_SECONDS - 1
