"""What deletion left behind so that deleted data stays deleted: which of some session or activity ids an
account deleted. Ingestion refuses them (`ingest_writer`), and so does an archive's import (`archive_rows`)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Connection, bindparam, select

from .dialect import in_list, list_value
from .tables.sessions import tombstones


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
