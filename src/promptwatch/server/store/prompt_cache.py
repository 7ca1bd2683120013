"""SQL of the semantic cache: upsert by (account, namespace, id), a lookup's partition (its latest write,
its vectors), one entry as it is now, clear, the namespaces with what their recorded hits saved, and the
lookups and hits counted per namespace and day (added in batches by `services/cache_tally.py`, for accounts
that are still there, and for namespaces not cleared since), and the clears of the last day."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, RowMapping, bindparam, delete, func, literal, or_, select, tuple_, update

from .dialect import insert_for
from .tables.accounts import accounts
from .tables.activities import activities
from .tables.prompt_cache import cache_clears, cache_entries, cache_lookups

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
        cache_entries.c.created_at,
        cache_entries.c.id,
        cache_entries.c.embedding,
        cache_entries.c.prompt_text,
        cache_entries.c.input_values,
        cache_entries.c.result,
    ).where(*part.where(), cache_entries.c.pk == pk)
    return conn.execute(query).mappings().first()


DayKey = tuple[int, str, datetime]  # account, namespace, the start of a UTC day
EntryKey = tuple[int, str, int, datetime]  # account, namespace, pk, created_at: one entry as a lookup read it


def lookup_day(now: datetime) -> datetime:
    """The start of `now`'s UTC day: the row of `cache_lookups` a lookup at `now` counts in."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


CLEARS_KEPT = timedelta(days=1)  # far longer than counts are held between flushes


def add_lookups(
    conn: Connection,
    counts: Mapping[DayKey, Sequence[int]],
    since: Mapping[DayKey, datetime],
    name_hash: Callable[[str], str],
) -> None:
    """Add (lookups, hits) to each namespace's row of the day, one batch of upserts in the order of their keys
    (two processes adding to the same rows take them in one order, so neither waits for the other's next).
    The counts of an account deleted, or gone, are left out: written, they would bring its namespaces back; so
    are those of a namespace cleared (by another process: `mark_cleared`) after `since`, the key's first lookup.
    `name_hash` is the keyed hash the clears are recorded by."""
    if not counts:
        return
    live = _live_accounts(conn, {account_id for account_id, _, _ in counts})
    clears = _clears_after(conn, live, min(since.values(), default=None))
    rows = [
        {"account_id": account_id, "namespace": namespace, "day": day, "lookups": lookups, "hits": hits}
        for (account_id, namespace, day), (lookups, hits) in sorted(counts.items())
        if account_id in live
        and not _cleared(clears, (account_id, namespace, day), since[account_id, namespace, day], name_hash)
    ]
    if not rows:
        return
    stmt = insert_for(conn, cache_lookups)
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


def mark_cleared(conn: Connection, account_id: int, name_hash: str, project: bool, at: datetime) -> None:
    """Record that a namespace (`project`: a project's namespaces) was cleared at `at`, in the clear's
    transaction, and forget the account's clears older than CLEARS_KEPT."""
    columns = cache_clears.c
    conn.execute(delete(cache_clears).where(columns.account_id == account_id, columns.cleared_at < at - CLEARS_KEPT))
    stmt = insert_for(conn, cache_clears)
    row = {"account_id": account_id, "name_hash": name_hash, "project": project, "cleared_at": at}
    conn.execute(
        stmt.values(row).on_conflict_do_update(
            index_elements=["account_id", "name_hash", "project"], set_={"cleared_at": stmt.excluded.cleared_at}
        )
    )


def _clears_after(conn: Connection, account_ids: set[int], after: datetime | None) -> dict[tuple, datetime]:
    """{(account, name hash, project): cleared at} of the accounts' clears after `after`."""
    if not account_ids or after is None:
        return {}
    columns = cache_clears.c
    query = select(columns.account_id, columns.name_hash, columns.project, columns.cleared_at).where(
        columns.account_id.in_(sorted(account_ids)), columns.cleared_at > after
    )
    return {(account, name, project): at for account, name, project, at in conn.execute(query)}


def _cleared(clears: dict[tuple, datetime], key: DayKey, first: datetime, name_hash: Callable[[str], str]) -> bool:
    """Whether the key's namespace was cleared after `first`, itself or as one of a project's namespaces: `a.b.c`
    is one of the projects `a.b.c`, `a.b` and `a`."""
    if not clears:
        return False
    account_id, namespace, _day = key
    projects = [namespace, *(namespace[:i] for i, c in enumerate(namespace) if c == ".")]
    scopes = [(namespace, False), *((project, True) for project in projects)]
    return any(
        (at := clears.get((account_id, name_hash(name), project))) is not None and at > first
        for name, project in scopes
    )


def _live_accounts(conn: Connection, ids: set[int]) -> set[int]:
    """Those of the accounts that exist and are not deleted, their rows share-locked on PostgreSQL to the end of
    the transaction: an account deletion that holds its row (`hold_account`) is waited for, and then left out."""
    query = (
        select(accounts.c.id)
        .where(accounts.c.id.in_(sorted(ids)), accounts.c.kind != "deleted")
        .order_by(accounts.c.id)
        .with_for_update(read=True)
    )
    return set(conn.execute(query).scalars())


def hold_account(conn: Connection, account_id: int) -> None:
    """Lock the account's row to the end of the transaction (PostgreSQL: SQLite's write lock already keeps any
    other writer out): a flush of counts in another process waits for the transaction (`add_lookups`)."""
    conn.execute(select(accounts.c.id).where(accounts.c.id == account_id).with_for_update(key_share=True))


def add_hits(conn: Connection, served: Mapping[EntryKey, tuple[int, datetime]]) -> None:
    """Add hits to the entries served, each with the time of its last one, in the order of their keys. An entry
    deleted meanwhile is skipped, and so is a later one that SQLite gave its pk again (another creation time)."""
    if not served:
        return
    columns = cache_entries.c
    stmt = (
        update(cache_entries)
        .where(
            columns.pk == bindparam("entry_pk"),
            columns.account_id == bindparam("entry_account"),
            columns.namespace == bindparam("entry_namespace"),
            columns.created_at == bindparam("entry_created"),
        )
        .values(hits=columns.hits + bindparam("served"), last_hit_at=bindparam("last"))
    )
    rows = [
        {
            "entry_account": account_id,
            "entry_namespace": namespace,
            "entry_pk": pk,
            "entry_created": created,
            "served": hits,
            "last": last,
        }
        for (account_id, namespace, pk, created), (hits, last) in sorted(served.items())
    ]
    conn.execute(stmt, rows)


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


def clear_project(conn: Connection, account_id: int, project: str) -> int:
    """Delete the entries and counts of the project's namespaces (`<project>` and `<project>.*`, those a key
    limited to it uses). Returns the rows deleted."""
    deleted = 0
    for table in (cache_entries, cache_lookups):
        held = or_(table.c.namespace == project, table.c.namespace.startswith(f"{project}.", autoescape=True))
        deleted += conn.execute(delete(table).where(table.c.account_id == account_id, held)).rowcount
    return deleted


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
