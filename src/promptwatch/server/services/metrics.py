"""Usage metrics over time: calls, errors, tokens, cost, cache hits and saved cost, latency p50/p95,
grouped by project, tenant, model or template, by hour, day, week (from Monday) or month of a time zone, of
the whole account or one project or tenant, with the calls among them that have no cost because their model
has no price. Read from the hourly roll-ups only: a period sums the roll-up hours that start in it, so a day
of a daylight-saving change sums 23 or 25 of them, and in a zone whose offset is not whole hours (Asia/Kolkata,
+05:30) an hour that runs across two local periods counts in the one that holds its start."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import InvalidInput
from ..store import accounts as account_store
from ..store import usage_queries
from ..store.rollups import bucket_value
from ..store.usage_queries import UsageFilter
from .credentials import Caller
from .money import money
from .runtime import Runtime

SUMS = (
    "calls",
    "errors",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cost",
    "cache_hits",
    "saved_cost",
    "unpriced_calls",  # calls without a cost because their model has no price: "$x + N unpriced", not "$x"
)
COSTS = ("cost", "saved_cost")  # summed from float costs: answered as `money`
GROUPS = (None, *usage_queries.GROUP_COLUMNS)
INTERVALS = ("hour", "day", "week", "month")
END_OF_TIME = datetime.max.replace(tzinfo=timezone.utc)
LAST_HOUR = END_OF_TIME.replace(minute=0, second=0, microsecond=0)  # the last roll-up hour there can be


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (`Europe/Berlin`), from the system's zone database or the tzdata package; not
    a `right/` zone, whose clock counts leap seconds that UTC hours do not."""
    if not name.startswith("right/"):
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. a name too long
            return ZoneInfo(name)
    raise InvalidInput("tz must be an IANA time zone name, such as Europe/Berlin", field="tz")


def period_start(hour: datetime, interval: str, zone: tzinfo) -> datetime:
    """The start (in UTC) of the hour, day, week or month of `zone` that holds the roll-up hour starting at
    `hour`. A local midnight that daylight saving skips or repeats starts its day at the first moment after it
    or at its first occurrence."""
    if interval == "hour":
        return hour
    try:
        day = hour.astimezone(zone).date()
        if interval == "week":
            day -= timedelta(days=day.weekday())
        elif interval == "month":
            day = day.replace(day=1)
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(timezone.utc)
    except OverflowError:  # an hour at the calendar's ends (years 1 and 9999) the zone cannot show: UTC's period
        return period_start(hour, interval, timezone.utc)


def shown_in(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` in `zone`, or in UTC at the calendar's ends where the zone's time does not exist."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment


def _next_hour(moment: datetime | None) -> datetime | None:
    """The first whole UTC hour at or after `moment`: the figures count the roll-up hours that start in
    [since, until), so they cover [`_next_hour(since)`, `_next_hour(until)`). After the last hour of 9999 starts
    the next would be in the year 10000: the end of the calendar (`END_OF_TIME`) bounds the same hours."""
    if moment is None:
        return None
    moment = moment.astimezone(timezone.utc)
    start = moment.replace(minute=0, second=0, microsecond=0)
    if start == moment:
        return start
    return start + timedelta(hours=1) if start < LAST_HOUR else END_OF_TIME


def percentile(histogram: dict[int, int], fraction: float) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = fraction * total, 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return round(bucket_value(bucket), 1)
    return None


class MetricsService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def usage(
        self,
        caller: Caller,
        group_by: str | None,
        interval: str,
        since: datetime | None = None,
        until: datetime | None = None,
        project: str | None = None,
        tenant: str | None = None,
        tz: str = "UTC",
    ) -> dict:
        caller.require("read")
        if group_by not in GROUPS:
            raise InvalidInput(f"group_by must be one of {', '.join(g for g in GROUPS if g)}", field="group_by")
        if interval not in INTERVALS:
            raise InvalidInput(f"interval must be one of {', '.join(INTERVALS)}", field="interval")
        zone = time_zone(tz)
        usage, latency, names = self._rows(caller, UsageFilter(since, until, tenant=tenant), project, group_by)

        def group_of(value) -> str | None:
            return (names.get(value) if group_by == "project" else value) or None

        period_of = cache(lambda hour: period_start(hour, interval, zone))  # rows share their hours

        # each row (an hour of a group) counts in its (time, group) bucket, in its group over the whole range, and
        # in the totals
        sums: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(SUMS, 0))
        histograms: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        everything = ()  # the key of the totals
        for hour, value, *measures in usage:
            time, group = period_of(hour), group_of(value)
            for bucket in (sums[(time, group)], sums[(group,)], sums[everything]):
                for name, amount in zip(SUMS, measures):
                    bucket[name] += amount
        for hour, value, latency_bucket, count in latency:
            time, group = period_of(hour), group_of(value)
            for histogram in (histograms[(time, group)], histograms[(group,)], histograms[everything]):
                histogram[latency_bucket] += count

        def as_answered(key: tuple, values: dict) -> dict:
            """The sums of `key` with its costs as `money` and its latency percentiles."""
            return {
                **values,
                **{name: money(values[name]) for name in COSTS},
                "latency_p50_ms": percentile(histograms[key], 0.5),
                "latency_p95_ms": percentile(histograms[key], 0.95),
            }

        buckets = sorted((k for k in sums if len(k) == 2), key=lambda k: (k[0], k[1] or ""))
        # keyed by UTC instants (two hours of one local wall time, as when summer time ends, stay apart) and shown in
        # the zone, with its offset at each start
        series = [{"time": shown_in(k[0], zone), "group": k[1], **as_answered(k, sums[k])} for k in buckets]
        groups = []
        if group_by is not None:  # each group over the whole range, the most expensive first
            keys = [k for k in sums if len(k) == 1]
            keys.sort(key=lambda k: (-sums[k]["cost"], k[0] or ""))
            groups = [{"group": k[0], **as_answered(k, sums[k])} for k in keys]
        totals = as_answered(everything, sums[everything])
        return {
            "group_by": group_by,
            "interval": interval,
            "window": {"since": _next_hour(since), "until": _next_hour(until)},
            "series": series,
            "groups": groups,
            "totals": totals,
        }

    def _rows(
        self, caller: Caller, where: UsageFilter, project: str | None, group_by: str | None
    ) -> tuple[list, list, dict]:
        """(usage sums and latency counts per hour and group, project names) of `where` in `project`; none for a
        project that does not exist or that a project-limited caller cannot read."""
        if caller.project and project not in (None, caller.project):
            return [], [], {}
        project = caller.project or project
        with self._rt.engine.connect() as conn:
            if project is not None:
                project_id = account_store.project_id(conn, caller.account_id, project)
                if project_id is None:
                    return [], [], {}
                where = replace(where, project_id=project_id)
            return (
                usage_queries.usage_sums(conn, caller.account_id, where, group_by, SUMS),
                usage_queries.latency_counts(conn, caller.account_id, where, group_by),
                usage_queries.project_names(conn, caller.account_id),
            )
