"""The one source of the current time, so that tests can reason about it."""

from datetime import datetime, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
