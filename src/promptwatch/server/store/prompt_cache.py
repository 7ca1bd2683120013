"""SQL of the semantic cache: upsert by (account, namespace, id), candidates of a lookup, clear."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, func, select, update

from .dialect import insert_for
from .tables.prompt_cache import cache_entries

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


def candidates(
    conn: Connection, account_id: int, namespace: str, identity: str, embedder: str, vector_count: int, dims: int
) -> list[RowMapping]:
    query = select(
        cache_entries.c.pk,
        cache_entries.c.id,
        cache_entries.c.embedding,
        cache_entries.c.prompt_text,
        cache_entries.c.input_values,
        cache_entries.c.result,
    ).where(
        cache_entries.c.account_id == account_id,
        cache_entries.c.namespace == namespace,
        cache_entries.c.template_identity == identity,
        cache_entries.c.embedder == embedder,
        cache_entries.c.vector_count == vector_count,
        cache_entries.c.dims == dims,
    )
    return list(conn.execute(query).mappings())


def count_hit(conn: Connection, pk: int) -> None:
    conn.execute(update(cache_entries).where(cache_entries.c.pk == pk).values(hits=cache_entries.c.hits + 1))


def clear(conn: Connection, account_id: int, namespace: str, until: datetime | None) -> int:
    condition = [cache_entries.c.account_id == account_id, cache_entries.c.namespace == namespace]
    if until is not None:
        condition.append(cache_entries.c.created_at < until)
    return conn.execute(delete(cache_entries).where(*condition)).rowcount


def namespaces(conn: Connection, account_id: int) -> list[RowMapping]:
    query = (
        select(
            cache_entries.c.namespace,
            func.count().label("entries"),
            func.coalesce(func.sum(cache_entries.c.hits), 0).label("hits"),
            func.max(cache_entries.c.updated_at).label("updated_at"),
        )
        .where(cache_entries.c.account_id == account_id)
        .group_by(cache_entries.c.namespace)
        .order_by(cache_entries.c.namespace)
    )
    return list(conn.execute(query).mappings())
