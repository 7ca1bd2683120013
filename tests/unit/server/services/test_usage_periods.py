"""The period of a time zone that a roll-up hour counts in, where a local midnight is skipped or repeated."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from promptwatch.server.errors import InvalidInput
from promptwatch.server.services.metrics import period_start, time_zone


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=timezone.utc)


def test_a_day_whose_midnight_is_skipped_starts_when_its_clock_does():
    """Santiago moves from 00:00 -04 straight to 01:00 -03 on 6 September 2026."""
    santiago = ZoneInfo("America/Santiago")
    for hour in (utc(2026, 9, 6, 4), utc(2026, 9, 7, 2)):
        start = period_start(hour, "day", santiago)
        assert start == utc(2026, 9, 6, 4)
        assert start.astimezone(santiago).isoformat() == "2026-09-06T01:00:00-03:00"
    assert period_start(utc(2026, 9, 6, 3), "day", santiago) == utc(2026, 9, 5, 4)


def test_a_day_whose_midnight_comes_twice_starts_at_the_first():
    """Havana goes back from 01:00 -04 to 00:00 -05 on 1 November 2026."""
    havana = ZoneInfo("America/Havana")
    for hour in (utc(2026, 11, 1, 4), utc(2026, 11, 1, 5), utc(2026, 11, 2, 4)):
        assert period_start(hour, "day", havana) == utc(2026, 11, 1, 4)


def test_weeks_start_on_monday_and_months_on_the_first_at_local_midnight():
    berlin = ZoneInfo("Europe/Berlin")
    sunday_night = utc(2026, 11, 1, 22, 0)  # 23:00 on Sunday in Berlin, Monday in Kolkata
    assert period_start(sunday_night, "week", berlin) == utc(2026, 10, 25, 23)  # Monday 26 October, +01:00
    assert period_start(sunday_night, "week", ZoneInfo("Asia/Kolkata")) == utc(2026, 11, 1, 18, 30)
    assert period_start(sunday_night, "month", berlin) == utc(2026, 10, 31, 23)
    assert period_start(sunday_night, "hour", berlin) == sunday_night


@pytest.mark.parametrize(
    "name", ["", "Nowhere/City", "utc", "../etc/passwd", "/etc/localtime", "right/UTC", "x" * 5000]
)
def test_an_unknown_zone_is_named_tz(name):
    with pytest.raises(InvalidInput) as refused:
        time_zone(name)
    assert refused.value.extra["field"] == "tz"
