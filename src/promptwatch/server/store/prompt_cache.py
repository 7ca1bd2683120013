"""SQL of the semantic cache: upsert by (account, namespace, id), a lookup's partition (its latest write,
its vectors), one entry as it is now, clear, the namespaces with what their recorded hits saved, and the
lookups and hits counted per namespace and day (added in batches by `services/cache_tally.py`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Row, RowMapping, bindparam, delete, func, literal, select, tuple_, update

from .dialect import insert_for
from .tables.activities import activities
from .tables.prompt_cache import cache_entries, cache_lookups

_UPDATABLE = (
    "template_identity",
    "input_values",
    "prompt_text",
    "embedder",
    "vector_count",
    "dims",
    "embedding",
    "result",
    "updated_at",
)


def upsert_entry(conn: Connection, row: dict) -> None:
    stmt = insert_for(conn, cache_entries)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["account_id", "namespace", "id"],
            set_={name: stmt.excluded[name] for name in _UPDATABLE},
        ),
        row,
    )


@dataclass(frozen=True)
class Partition:
    """The entries one lookup can compare with: a namespace's entries of one template identity, one
    embedder and one vector shape."""

    account_id: int
    namespace: str
    identity: str
    embedder: str
    vector_count: int
    dims: int

    def where(self) -> tuple:
        return (
            cache_entries.c.account_id == self.account_id,
            cache_entries.c.namespace == self.namespace,
            cache_entries.c.template_identity == self.identity,
            cache_entries.c.embedder == self.embedder,
            cache_entries.c.vector_count == self.vector_count,
            cache_entries.c.dims == self.dims,
        )


def latest(conn: Connection, part: Partition) -> tuple | None:
    """(updated_at, pk) of the partition's most recently written entry (one index seek), None when empty."""
    query = (
        select(cache_entries.c.updated_at, cache_entries.c.pk)
        .where(*part.where())
        .order_by(cache_entries.c.updated_at.desc(), cache_entries.c.pk.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else tuple(row)


def vectors_since(conn: Connection, part: Partition, after: tuple | None) -> list[Row]:
    """(pk, embedding) of the partition's entries written after `after` = (updated_at, pk) of an earlier
    `latest` (all when None), by pk. An index range: rows written at one instant are told apart by pk."""
    query = select(cache_entries.c.pk, cache_entries.c.embedding).where(*part.where()).order_by(cache_entries.c.pk)
    if after is not None:
        moment, pk = after
        position = tuple_(cache_entries.c.updated_at, cache_entries.c.pk)
        query = query.where(position > tuple_(literal(moment, cache_entries.c.updated_at.type), literal(pk)))
    return list(conn.execute(query))


def entry(conn: Connection, part: Partition, pk: int) -> RowMapping | None:
    """One entry of the partition as it is now (None once deleted or moved out of the partition)."""
    query = select(
        cache_entries.c.pk,
        cache_entries.c.id,
        cache_entries.c.embedding,
        cache_entries.c.prompt_text,
        cache_entries.c.input_values,
        cache_entries.c.result,
    ).where(*part.where(), cache_entries.c.pk == pk)
    return conn.execute(query).mappings().first()


DayKey = tuple[int, str, datetime]  # account, namespace, the start of a UTC day


def lookup_day(now: datetime) -> datetime:
    """The start of `now`'s UTC day: the row of `cache_lookups` a lookup at `now` counts in."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def add_lookups(conn: Connection, counts: Mapping[DayKey, Sequence[int]]) -> None:
    """Add (lookups, hits) to each namespace's row of the day, one batch of upserts."""
    stmt = insert_for(conn, cache_lookups)
    rows = [
        {"account_id": account_id, "namespace": namespace, "day": day, "lookups": lookups, "hits": hits}
        for (account_id, namespace, day), (lookups, hits) in counts.items()
    ]
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["account_id", "namespace", "day"],
            set_={
                "lookups": cache_lookups.c.lookups + stmt.excluded.lookups,
                "hits": cache_lookups.c.hits + stmt.excluded.hits,
            },
        ),
        rows,
    )


def add_hits(conn: Connection, served: Mapping[int, tuple[int, datetime]]) -> None:
    """Add hits to entries by pk, each with the time of its last one; an entry deleted meanwhile is skipped."""
    if not served:
        return
    stmt = (
        update(cache_entries)
        .where(cache_entries.c.pk == bindparam("entry_pk"))
        .values(hits=cache_entries.c.hits + bindparam("served"), last_hit_at=bindparam("last"))
    )
    conn.execute(stmt, [{"entry_pk": pk, "served": hits, "last": last} for pk, (hits, last) in served.items()])


def clear(conn: Connection, account_id: int, namespace: str, until: datetime | None) -> int:
    """Delete the namespace's entries (those created before `until`); cleared whole, its counts go too.
    Returns the number of entries deleted."""
    condition = [cache_entries.c.account_id == account_id, cache_entries.c.namespace == namespace]
    if until is None:
        conn.execute(
            delete(cache_lookups).where(
                cache_lookups.c.account_id == account_id, cache_lookups.c.namespace == namespace
            )
        )
    else:
        condition.append(cache_entries.c.created_at < until)
    return conn.execute(delete(cache_entries).where(*condition)).rowcount


def namespaces(conn: Connection, account_id: int) -> list[RowMapping]:
    """The namespaces that hold entries: how many, and when one was last written and last served."""
    query = (
        select(
            cache_entries.c.namespace,
            func.count().label("entries"),
            func.max(cache_entries.c.updated_at).label("updated_at"),
            func.max(cache_entries.c.last_hit_at).label("last_hit_at"),
        )
        .where(cache_entries.c.account_id == account_id)
        .group_by(cache_entries.c.namespace)
        .order_by(cache_entries.c.namespace)
    )
    return list(conn.execute(query).mappings())


def lookups_by_namespace(conn: Connection, account_id: int) -> dict[str, tuple[int, int]]:
    """(lookups, hits) counted per namespace, over every day."""
    query = (
        select(cache_lookups.c.namespace, func.sum(cache_lookups.c.lookups), func.sum(cache_lookups.c.hits))
        .where(cache_lookups.c.account_id == account_id)
        .group_by(cache_lookups.c.namespace)
    )
    return {namespace: (int(lookups), int(hits)) for namespace, lookups, hits in conn.execute(query)}


def saved_by_namespace(conn: Connection, account_id: int) -> dict[str, float]:
    """What the recorded cache hits saved, per namespace (hits are few: a partial index holds them)."""
    query = (
        select(activities.c.cache_namespace, func.coalesce(func.sum(activities.c.saved_cost), 0.0))
        .where(activities.c.account_id == account_id, activities.c.cache_namespace.is_not(None))
        .group_by(activities.c.cache_namespace)
    )
    return dict(conn.execute(query).all())
