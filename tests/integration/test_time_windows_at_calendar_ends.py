"""Times in the years 1 to 9999 are taken by every time-windowed read, even where the window rounds to whole
hours past the calendar's end: usage metrics count the roll-up hours that start in [since, until) and say
which in `window`, whose end is the calendar's own (9999-12-31T23:59:59.999999Z) where the next whole hour
would be in the year 10000."""

from __future__ import annotations

import pytest

from tests.support.payloads import llm, session, uid

from .test_usage_metrics import ingest
from .test_usage_periods import utc

END_OF_TIME = "9999-12-31T23:59:59.999999Z"
LAST_HOUR = utc(9999, 12, 31, 23, 0)


def usage_answer(client, **params):
    answer = client.get("/api/v1/metrics/usage", params=params)
    assert answer.status_code == 200, (params, answer.text)
    return answer.json()


@pytest.mark.parametrize(
    ("bound", "window"),
    [
        ({"until": "9999-12-31T23:59:59Z"}, {"since": None, "until": END_OF_TIME}),
        ({"until": "9999-12-31T23:00:00.000001Z"}, {"since": None, "until": END_OF_TIME}),
        ({"since": "9999-12-31T23:30:00Z"}, {"since": END_OF_TIME, "until": None}),
        ({"since": "9999-12-31T23:59:59.999999Z"}, {"since": END_OF_TIME, "until": None}),
        (
            {"since": "9999-12-31T23:00:00Z", "until": "9999-12-31T23:00:01Z"},
            {"since": "9999-12-31T23:00:00Z", "until": END_OF_TIME},
        ),
    ],
    ids=["until-last-second", "until-past-last-hour", "since-half-past", "since-last-microsecond", "last-hour"],
)
def test_usage_metrics_take_a_bound_in_the_last_hour_of_9999(client, bound, window):
    for interval in ("hour", "day", "week", "month"):
        for zone in ("UTC", "Asia/Tokyo", "America/New_York"):
            assert usage_answer(client, interval=interval, tz=zone, **bound)["window"] == window, (interval, zone)


def test_a_call_in_the_last_hour_of_9999_counts_in_the_windows_that_hold_its_hour(live_server):
    tenant = live_server.new_tenant("usage-last-hour")
    sid = uid("s-")
    with live_server.client(tenant.api_key) as client:
        ingest(client, [session(sid)], [llm(uid("a-"), sid, start=LAST_HOUR.replace(minute=10))])
        for bounds, calls in (
            ({"until": "9999-12-31T23:59:59Z"}, 1),
            ({"until": "9999-12-31T23:00:00.000001Z"}, 1),
            ({"since": "9999-12-31T23:00:00Z"}, 1),
            ({"until": "9999-12-31T23:00:00Z"}, 0),  # its hour starts at until: not in [since, until)
            ({"since": "9999-12-31T22:59:59Z", "until": "9999-12-31T23:59:59.999999Z"}, 1),
            ({"since": "9999-12-31T23:00:00.000001Z"}, 0),  # its hour starts before since
            ({"since": "9999-12-31T23:30:00Z"}, 0),
        ):
            for interval in ("hour", "month"):
                body = usage_answer(client, interval=interval, tz="Asia/Tokyo", **bounds)
                assert body["totals"]["calls"] == calls, (bounds, interval, body)
                assert sum(point["calls"] for point in body["series"]) == calls, (bounds, interval)


@pytest.mark.parametrize("path", ["/api/v1/sessions", "/api/v1/activities"])
def test_the_lists_take_bounds_at_the_calendars_ends(client, path):
    for bounds in (
        {"since": "0001-01-01T00:00:00Z"},
        {"until": "0001-01-01T00:00:00Z"},
        {"since": "9999-12-31T23:59:59.999999Z"},
        {"until": "9999-12-31T23:59:59.999999Z"},
        {"since": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59.999999Z"},
        {"since": "9999-12-31T23:59:59-00:00", "until": "9999-12-31T23:59:59+00:00"},
    ):
        for sort in ("newest", "oldest", "cost", "tokens") if path.endswith("sessions") else ("",):
            answer = client.get(path, params={**bounds, **({"sort": sort} if sort else {})})
            assert answer.status_code == 200, (bounds, sort, answer.text)


@pytest.mark.parametrize("period", ["0001-01", "9999-12"])
def test_the_account_usage_of_the_calendars_first_and_last_months(client, period):
    answer = client.get("/api/v1/account/usage", params={"period": period})
    assert answer.status_code == 200, answer.text


def test_an_account_usage_period_of_the_year_zero_is_a_422_naming_it(client):
    answer = client.get("/api/v1/account/usage", params={"period": "0000-01"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "period"
