"""The hourly usage and latency roll-ups (`usage_hourly`, `latency_hourly`): what a closed call adds to them,
and the one order in which a transaction writes them.

A call a provider bills (`USAGE_TYPES`) is counted once closed, in the usage row of its hour, project, tenant,
model and template (`usage_key`), and in one bucket of that row's latency histogram (`latency_bucket`).
Ingest adds calls; a superseded or moved call, a deletion, a repricing take them out again. The roll-ups
change by deltas, so that they stay right whatever else writes them meanwhile.

Lock order on PostgreSQL, where several transactions write at once: a transaction takes its sessions and
activities first, and the roll-up rows last, once (`Rollups`): every usage row, then every latency row, each
sorted by account and dimensions. Ingest and deletion both write them so, and a statement that takes many
roll-up rows at once takes them in that order first (`lock_rows`). An account's deletion and retention's
purge of old roll-ups take theirs in one statement without it: a lock race there is run again (the account's
deletion, `services.lock_races`) or left to the next cleanup cycle (retention).
"""

from __future__ import annotations

import math
from collections import defaultdict
from functools import cache

from sqlalchemy import Connection, bindparam, delete, select

from . import bulk
from .dialect import insert_for
from .tables.usage import latency_hourly, usage_hourly

# the activity types that are calls a provider bills, LLM calls and embeddings: priced at ingest
# (`services.activity_records`), counted in the hourly usage roll-ups once closed and taken out of them again
# (`Rollups`, `ingest_writer.llm_contributions`)
USAGE_TYPES = ("llm-prompt", "embedding")
_TOTALS = ("prompt_tokens", "completion_tokens", "total_tokens", "cost")
USAGE_MEASURES = ("calls", "errors", *_TOTALS, "cache_hits", "saved_cost", "unpriced_calls")
_USAGE_DIMENSIONS = ("hour", "project_id", "tracking_tenant", "model", "template_name")
_KEY_COLUMNS = ("account_id", *_USAGE_DIMENSIONS)


def latency_bucket(milliseconds: float) -> int:
    """Log-scale histogram bucket: eight buckets per doubling (about 9 % wide)."""
    return int(math.floor(8 * math.log2(max(milliseconds, 1.0))))


def bucket_value(bucket: int) -> float:
    return 2 ** ((bucket + 0.5) / 8)


def usage_key(call: dict, project_id: int | None, tenant: str | None) -> tuple:
    """The dimensions (`_USAGE_DIMENSIONS`) of the roll-up row that counts a closed LLM call."""
    hour = call["start_time"].replace(minute=0, second=0, microsecond=0)
    return (hour, project_id or 0, tenant or "", call.get("model") or "", call.get("template_name") or "")


class Rollups:
    """The changes a transaction makes to the hourly usage and latency roll-ups, gathered from each batch it
    writes (or each set of rows it deletes) and written together at its end: every usage row, then every
    latency row, each sorted by account and dimensions. Written batch by batch, each batch's rows sorted on
    their own, two transactions of several batches could lock rows A then B and B then A, and deadlock; so
    could a batch that takes calls out of the roll-ups (a moved session, a superseded call) and then adds
    others, or a deletion that took roll-up rows before the sessions a concurrent ingest holds."""

    def __init__(self) -> None:
        self._usage: dict[tuple, defaultdict] = {}  # (account id, *dimensions) -> sums
        self._latency: dict[tuple, int] = defaultdict(int)  # (account id, *dimensions, bucket) -> count
        self._taken_from: set[tuple] = set()  # usage keys that calls were taken out of: they may count none now
        self._latency_taken_from: set[tuple] = set()

    def add(self, account_id: int, rows: list[tuple[dict, tuple]], sign: int = 1) -> None:
        """Add (or with sign -1, take away) closed calls (`USAGE_TYPES`): (activity row, (session pk, project
        id, tenant)), as `ingest_writer.llm_contributions` gives them."""
        for record, (_pk, project_id, tenant) in rows:
            if record["activity_type"] not in USAGE_TYPES:
                continue
            key = (account_id, *usage_key(record, project_id, tenant))
            sums = self._usage.setdefault(key, defaultdict(float))
            sums["calls"] += sign
            sums["errors"] += sign if record.get("error") else 0
            sums["cache_hits"] += sign if record.get("cache_namespace") is not None else 0
            # its model has no price: with tokens (a refused call has none) and no cost
            sums["unpriced_calls"] += (
                sign if record.get("cost") is None and record.get("total_tokens") is not None else 0
            )
            for total in (*_TOTALS, "saved_cost"):
                sums[total] += sign * (record.get(total) or 0)
            elapsed = (record["end_time"] - record["start_time"]).total_seconds() * 1000
            bucket = (*key, latency_bucket(elapsed))
            self._latency[bucket] += sign
            if sign < 0:
                self._taken_from.add(key)
                self._latency_taken_from.add(bucket)

    def write(self, conn: Connection) -> None:
        """Write what was gathered, once, at the end of the transaction (in one order, see the class)."""
        if not self._usage:
            return
        usage_upsert, latency_upsert = _usage_upserts(conn.dialect.name)
        bulk.execute_many(
            conn,
            usage_upsert,
            [
                {
                    **dict(zip(_KEY_COLUMNS, key)),
                    **{n: (s[n] if n in ("cost", "saved_cost") else int(s[n])) for n in USAGE_MEASURES},
                }
                for key, s in sorted(self._usage.items())
            ],
        )
        bulk.execute_many(
            conn,
            latency_upsert,
            [
                {**dict(zip(_KEY_COLUMNS, key)), "bucket": key[-1], "count": n}
                for key, n in sorted(self._latency.items())
            ],
        )
        if self._taken_from:  # a row left counting no call goes
            emptied_usage, emptied_latency = _emptied_rows()
            conn.execute(emptied_usage, [dict(zip(_KEY_COLUMNS, key)) for key in sorted(self._taken_from)])
            conn.execute(
                emptied_latency,
                [{**dict(zip(_KEY_COLUMNS, key)), "bucket": key[-1]} for key in sorted(self._latency_taken_from)],
            )


def lock_rows(conn: Connection, account_id: int, column: str, values: list) -> None:
    """Lock the account's roll-up rows whose `column` holds any of `values` in the order `Rollups.write` takes
    them (text by code point, as Python sorts it: collation "C"), before a statement that changes them all at
    once takes them in whatever order it scans them. PostgreSQL only: SQLite has one writer at a time."""
    if conn.dialect.name != "postgresql":
        return
    for table in (usage_hourly, latency_hourly):
        keys = [table.c[name] for name in _KEY_COLUMNS] + ([table.c.bucket] if table is latency_hourly else [])
        order = [key.collate("C") if key.name in ("tracking_tenant", "model", "template_name") else key for key in keys]
        conn.execute(
            select(table.c.account_id)
            .where(table.c.account_id == account_id, table.c[column].in_(values))
            .order_by(*order)
            .with_for_update()
        )


@cache
def _emptied_rows():
    """Deletes of one hourly usage row and one latency bucket, each only when it counts nothing any more."""
    usage = [usage_hourly.c[name] == bindparam(name) for name in ("account_id", *_USAGE_DIMENSIONS)]
    latency = [latency_hourly.c[name] == bindparam(name) for name in ("account_id", *_USAGE_DIMENSIONS, "bucket")]
    return (
        delete(usage_hourly).where(*usage, usage_hourly.c.calls <= 0),
        delete(latency_hourly).where(*latency, latency_hourly.c.count <= 0),
    )


@cache
def _usage_upserts(dialect: str):
    """The hourly usage and latency upserts, built once per dialect; each adds to the row it meets."""
    usage = insert_for(dialect, usage_hourly)
    latency = insert_for(dialect, latency_hourly)
    return (
        usage.on_conflict_do_update(
            index_elements=["account_id", *_USAGE_DIMENSIONS],
            set_={n: usage_hourly.c[n] + usage.excluded[n] for n in USAGE_MEASURES},
        ),
        latency.on_conflict_do_update(
            index_elements=[*_KEY_COLUMNS, "bucket"],
            set_={"count": latency_hourly.c.count + latency.excluded.count},
        ),
    )
