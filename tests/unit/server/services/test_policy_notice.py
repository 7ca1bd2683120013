"""The 30-business-day notice of a policy change (P20) is counted exactly: weekends and holidays do not count."""

from __future__ import annotations

from datetime import date

import pytest

from promptwatch.server.errors import InvalidInput
from promptwatch.server.services.policies import add_business_days, earliest_effective_date, parse_holidays


def test_p20_thirty_business_days_are_six_weeks_without_holidays():
    assert earliest_effective_date(date(2026, 11, 30), frozenset()) == date(2027, 1, 11)  # Monday -> Monday


def test_p20_holidays_and_weekends_do_not_count():
    holidays = parse_holidays("2026-12-24, 2026-12-25,2027-01-01,2026-12-26")  # the 26th is a Saturday anyway
    assert earliest_effective_date(date(2026, 11, 30), holidays) == date(2027, 1, 14)


def test_p20_announcing_on_a_weekend_starts_counting_on_monday():
    assert add_business_days(date(2026, 11, 28), 1, frozenset()) == date(2026, 11, 30)
    assert earliest_effective_date(date(2026, 11, 28), frozenset()) == date(2027, 1, 8)


def test_p20_bad_holiday_settings_are_refused():
    with pytest.raises(InvalidInput):
        parse_holidays("2026-13-01")
