"""What deletion left behind so that deleted data stays deleted: which of some session or activity ids an
account deleted. Ingestion refuses them (`ingest_writer`), and so does an archive's import (`archive_rows`).

On PostgreSQL a deletion may commit after an ingest transaction read the tombstones and before it wrote the
same sessions or activities, which it would then make anew: so that transaction looks again once it has
written them, and raises `DeletedMeanwhile`, to be undone and run again (`services.lock_races`), when one was
deleted meanwhile. A deletion that commits later waits for the rows the transaction wrote, and deletes them."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Connection, bindparam, select, union_all

from .dialect import in_list, list_value
from .tables.sessions import tombstones


class DeletedMeanwhile(Exception):
    """A transaction wrote sessions or activities that a deletion committed meanwhile removed."""


def deleted_ids(conn: Connection, account_id: int, kind: str, ids: set[str]) -> set[str]:
    """Those of `ids` of `kind` ("session" or "activity") that the account deleted. One kind at a time, so that
    each id is a primary-key search (a list of (kind, id) pairs would scan all of the account's tombstones)."""
    if not ids:
        return set()
    dialect = conn.dialect.name
    params = {"account": account_id, "kind": kind, "ids": list_value(dialect, ids)}
    return set(conn.execute(_lookup(dialect), params).scalars())


@cache
def _lookup(dialect: str):
    return select(tombstones.c.object_id).where(
        tombstones.c.account_id == bindparam("account"),
        tombstones.c.kind == bindparam("kind"),
        in_list(tombstones.c.object_id, "ids", dialect),
    )


def refuse_deleted_meanwhile(conn: Connection, account_id: int, session_ids: set[str], activity_ids: set[str]) -> None:
    """Raise `DeletedMeanwhile` when any of these ids, just written, has a tombstone: in one round trip."""
    if not session_ids and not activity_ids:
        return
    dialect = conn.dialect.name
    params = {
        "account": account_id,
        "sessions": list_value(dialect, session_ids),
        "activities": list_value(dialect, activity_ids),
    }
    if conn.execute(_both_kinds(dialect), params).first() is not None:
        raise DeletedMeanwhile("a session or activity written was deleted by a transaction that committed meanwhile")


@cache
def _both_kinds(dialect: str):
    def of(kind: str, ids: str):
        return select(tombstones.c.object_id).where(
            tombstones.c.account_id == bindparam("account"),
            tombstones.c.kind == kind,
            in_list(tombstones.c.object_id, ids, dialect),
        )

    return union_all(of("session", "sessions"), of("activity", "activities"))
