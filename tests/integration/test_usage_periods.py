"""`GET /api/v1/metrics/usage` by week and month, and in a time zone (`tz`): periods are cut at the zone's
midnights (weeks from Monday), each point's time carries the zone's offset at that moment, a day of a
daylight-saving change sums its 23 or 25 hourly roll-ups, an hour of a zone with a half-hour offset belongs
to the period that holds its start, and a zone the server does not know is a 422 naming `tz`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.support.payloads import iso, llm, session, uid

from .test_usage_metrics import ingest, usage


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=timezone.utc)


def hours(first: datetime, last: datetime) -> list[datetime]:
    """Every hour from `first` to `last`, both included."""
    return [first + timedelta(hours=n) for n in range(int((last - first) / timedelta(hours=1)) + 1)]


def tenant_with_calls(live_server, name: str, starts: list[datetime], seconds: float = 1.0):
    """A new tenant with one closed LLM call starting at each of `starts`."""
    tenant = live_server.new_tenant(name)
    sid = uid("s-")
    with live_server.client(tenant.api_key) as client:
        ingest(client, [session(sid)], [llm(uid("a-"), sid, start=start, seconds=seconds) for start in starts])
    return tenant


def calls_by_time(client, **params) -> dict[str, int]:
    return {point["time"]: point["calls"] for point in usage(client, **params)["series"]}


# Saturday 31 October to Tuesday 1 December 2026; New York leaves daylight saving time on Sunday 1 November
AUTUMN = [
    utc(2026, 10, 31, 23, 30),  # Saturday; 19:30 in New York
    utc(2026, 11, 1, 12, 0),  # Sunday; 07:00 in New York
    utc(2026, 11, 2, 0, 30),  # Monday; still Sunday (19:30) in New York
    utc(2026, 12, 1, 0, 10),  # Tuesday; still Monday 30 November (19:10) in New York
]


def test_weeks_start_on_monday_and_months_on_the_first_in_utc_by_default(live_server):
    tenant = tenant_with_calls(live_server, "usage-weeks", AUTUMN)
    with live_server.client(tenant.api_key) as client:
        assert calls_by_time(client, interval="week") == {
            "2026-10-26T00:00:00Z": 2,
            "2026-11-02T00:00:00Z": 1,
            "2026-11-30T00:00:00Z": 1,
        }
        assert calls_by_time(client, interval="month", tz="UTC") == {
            "2026-10-01T00:00:00Z": 1,
            "2026-11-01T00:00:00Z": 2,
            "2026-12-01T00:00:00Z": 1,
        }
        body = usage(client, interval="month", group_by="model")
        assert body["interval"] == "month" and body["totals"]["calls"] == 4
        assert [(p["time"], p["group"], p["calls"]) for p in body["series"]][0] == (
            "2026-10-01T00:00:00Z",
            "gpt-4o-mini",
            1,
        )


def test_days_weeks_and_months_are_those_of_the_zone_with_its_offset_at_each_start(live_server):
    tenant = tenant_with_calls(live_server, "usage-new-york", AUTUMN)
    with live_server.client(tenant.api_key) as client:
        new_york = {"tz": "America/New_York"}
        assert calls_by_time(client, interval="day", **new_york) == {
            "2026-10-31T00:00:00-04:00": 1,
            "2026-11-01T00:00:00-04:00": 2,  # a day of 25 hours, that starts in summer time
            "2026-11-30T00:00:00-05:00": 1,
        }
        assert calls_by_time(client, interval="week", **new_york) == {
            "2026-10-26T00:00:00-04:00": 3,
            "2026-11-30T00:00:00-05:00": 1,
        }
        assert calls_by_time(client, interval="month", **new_york) == {
            "2026-10-01T00:00:00-04:00": 1,
            "2026-11-01T00:00:00-04:00": 3,
        }
        assert calls_by_time(client, interval="hour", **new_york)["2026-10-31T19:00:00-04:00"] == 1
        # `since` and `until` keep their meaning: the calls of the hours that start in [since, until)
        partial = {"since": "2026-11-01T00:00:00-04:00", "until": iso(utc(2026, 12, 1))}
        assert calls_by_time(client, interval="month", **partial, **new_york) == {"2026-11-01T00:00:00-04:00": 2}


def test_a_daylight_saving_day_sums_its_23_or_25_hours(live_server):
    """Berlin moves to summer time on 29 March 2026 (a day of 23 hours) and back on 25 October (25 hours).
    One call starts in every hour from the evening before each change to the morning after it."""
    spring = hours(utc(2026, 3, 28, 20), utc(2026, 3, 29, 23))
    autumn = hours(utc(2026, 10, 24, 20), utc(2026, 10, 26, 0))
    tenant = tenant_with_calls(live_server, "usage-dst", spring + autumn)
    with live_server.client(tenant.api_key) as client:
        berlin = {"tz": "Europe/Berlin"}
        days = calls_by_time(client, interval="day", **berlin)
        assert days == {
            "2026-03-28T00:00:00+01:00": 3,  # 21:00, 22:00 and 23:00
            "2026-03-29T00:00:00+01:00": 23,
            "2026-03-30T00:00:00+02:00": 2,
            "2026-10-24T00:00:00+02:00": 2,
            "2026-10-25T00:00:00+02:00": 25,
            "2026-10-26T00:00:00+01:00": 2,
        }
        assert sum(days.values()) == len(spring) + len(autumn)
        assert calls_by_time(client, interval="day")["2026-03-29T00:00:00Z"] == 24  # a UTC day
        by_hour = list(calls_by_time(client, interval="hour", **berlin))
        assert by_hour[by_hour.index("2026-03-29T01:00:00+01:00") + 1] == "2026-03-29T03:00:00+02:00"
        twice = by_hour.index("2026-10-25T02:00:00+02:00")  # the hour from 2 to 3 o'clock comes twice
        assert by_hour[twice + 1] == "2026-10-25T02:00:00+01:00"
        assert len(by_hour) == len(spring) + len(autumn)


def test_an_hour_of_a_half_hour_zone_belongs_to_the_period_holding_its_start(live_server):
    """Kolkata is 5:30 ahead of UTC: the roll-up hour 18:00-19:00 UTC runs 23:30-00:30 there, and counts on
    the day it starts, even for a call at 00:15 the next day."""
    tenant = tenant_with_calls(live_server, "usage-kolkata", [utc(2026, 11, 1, 18, 45), utc(2026, 11, 1, 19, 5)])
    with live_server.client(tenant.api_key) as client:
        kolkata = {"tz": "Asia/Kolkata"}
        assert calls_by_time(client, interval="day", **kolkata) == {
            "2026-11-01T00:00:00+05:30": 1,
            "2026-11-02T00:00:00+05:30": 1,
        }
        assert calls_by_time(client, interval="hour", **kolkata) == {
            "2026-11-01T23:30:00+05:30": 1,
            "2026-11-02T00:30:00+05:30": 1,
        }


def test_a_week_or_month_takes_its_latency_percentiles_from_the_merged_histograms(live_server):
    tenant = live_server.new_tenant("usage-week-latency")
    sid = uid("s-")
    quick = [llm(uid("a-"), sid, start=utc(2026, 11, 16, 9, n), seconds=1) for n in range(10)]  # Monday
    slow = [llm(uid("a-"), sid, start=utc(2026, 11, 20, 9, n), seconds=8) for n in range(10)]  # Friday
    with live_server.client(tenant.api_key) as client:
        ingest(client, [session(sid)], quick + slow)
        for interval in ("week", "month"):
            body = usage(client, interval=interval, tz="Europe/Berlin")
            [point] = body["series"]
            assert point["calls"] == 20
            assert point["latency_p50_ms"] < 1100 and point["latency_p95_ms"] > 7500, point
            for name in ("latency_p50_ms", "latency_p95_ms"):
                assert point[name] == body["totals"][name]


def test_an_unknown_time_zone_or_interval_is_refused_by_name(client):
    for params, field in (
        ({"tz": "Mars/Olympus_Mons"}, "tz"),
        ({"tz": "europe/berlin"}, "tz"),
        ({"tz": "+02:00"}, "tz"),
        ({"tz": ""}, "tz"),
        ({"tz": "../../etc/passwd"}, "tz"),
        ({"tz": "/etc/localtime"}, "tz"),
        ({"tz": "zone.tab"}, "tz"),  # a file beside the zones that is not one
        ({"tz": "right/Europe/Berlin"}, "tz"),  # counts leap seconds, which the roll-ups' UTC hours do not
        ({"tz": "Europe/Berlin", "interval": "year"}, "query.interval"),
    ):
        response = client.get("/api/v1/metrics/usage", params={"interval": "week", **params})
        assert response.status_code == 422, (params, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], response.text
    for zone in ("UTC", "Etc/GMT-14", "Asia/Kathmandu", "America/St_Johns"):
        assert client.get("/api/v1/metrics/usage", params={"interval": "month", "tz": zone}).status_code == 200


def test_calls_at_the_calendars_ends_count_in_utc_periods_where_the_zone_cannot_show_them(live_server):
    """A call at 00:30 UTC on 1 January of year 1 is still 31 December of year 0 in New York, a date that does
    not exist; one late in 9999 is in year 10000 in Tokyo. They count in UTC's period, never a 500."""
    tenant = tenant_with_calls(live_server, "usage-ends", [utc(1, 1, 1, 0, 30), utc(9999, 12, 31, 22, 0)])
    with live_server.client(tenant.api_key) as client:
        for zone in ("America/New_York", "Asia/Tokyo"):
            for interval in ("hour", "day", "week", "month"):
                body = usage(client, interval=interval, tz=zone)
                assert body["totals"]["calls"] == 2, (zone, interval)
                assert sum(point["calls"] for point in body["series"]) == 2, (zone, interval)
