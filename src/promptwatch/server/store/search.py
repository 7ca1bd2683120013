"""The full-text index over activity text: contentless FTS5 on SQLite, a tsvector table on PostgreSQL.

SQLite's contentless table keeps no copy of the text, so removing a row needs the text it was indexed
with; callers pass it (they have the body at hand).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, column, delete, table, text

from . import bulk

MAX_INDEXED_CHARS = 20_000
_TEXT_FIELDS = ("text", "prompt", "generated", "input", "output", "inputs", "outputs", "documents", "prompts")


def text_of(body: dict) -> str:
    """The words of an activity body that text search finds: prompts, outputs, documents, messages."""
    parts: list[str] = []
    for field in _TEXT_FIELDS:
        _collect(body.get(field), parts, 0)
    return "\n".join(parts)[:MAX_INDEXED_CHARS]


def _collect(value, parts: list[str], depth: int) -> None:
    if value is None or depth > 6:
        return
    if isinstance(value, str):
        parts.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, parts, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _collect(item, parts, depth + 1)


_INDEX_SQLITE = text("INSERT INTO activity_search(rowid, body) VALUES (:pk, :body)")
_INDEX_POSTGRESQL = text(
    "INSERT INTO activity_search(activity_pk, account_id, tsv) "
    "VALUES (:pk, :account, to_tsvector('simple', :body)) "
    "ON CONFLICT (activity_pk) DO UPDATE SET tsv = excluded.tsv"
)


def index(connection: Connection, rows: Sequence[tuple[int, int, str]]) -> None:
    """Index `(activity_pk, account_id, text)` rows."""
    if connection.dialect.name == "sqlite":
        params = [{"pk": pk, "body": body[:MAX_INDEXED_CHARS]} for pk, _account, body in rows if body]
        bulk.execute_many(connection, _INDEX_SQLITE, params)
    else:
        params = [{"pk": pk, "account": a, "body": body[:MAX_INDEXED_CHARS]} for pk, a, body in rows if body]
        bulk.execute_many(connection, _INDEX_POSTGRESQL, params)


def unindex(connection: Connection, rows: Iterable[tuple[int, str]]) -> None:
    """Remove `(activity_pk, text it was indexed with)` rows."""
    params = [{"pk": pk, "body": body[:MAX_INDEXED_CHARS]} for pk, body in rows if body]
    if not params:
        return
    if connection.dialect.name == "sqlite":
        connection.execute(
            text("INSERT INTO activity_search(activity_search, rowid, body) VALUES ('delete', :pk, :body)"), params
        )
    else:
        connection.execute(text("DELETE FROM activity_search WHERE activity_pk = :pk"), params)


def unindex_by_id(conn: Connection, activity_pks) -> None:
    """PostgreSQL: remove the rows of these activities (a list or a subquery of pks)."""
    conn.execute(delete(table("activity_search", column("activity_pk"))).where(column("activity_pk").in_(activity_pks)))


def matching_session_pks_sql(dialect: str) -> str:
    """SQL selecting the session pks of an account whose activities match `:q` (a plain phrase). The text
    match runs once, as its own subquery: joined row by row, SQLite would re-run it for every activity."""
    if dialect == "sqlite":
        return (
            "SELECT a.session_pk FROM activities a WHERE a.account_id = :account AND a.pk IN "
            "(SELECT rowid FROM activity_search WHERE activity_search MATCH :q)"
        )
    return (
        "SELECT a.session_pk FROM activities a WHERE a.account_id = :account AND a.pk IN "
        "(SELECT activity_pk FROM activity_search WHERE account_id = :account AND tsv @@ plainto_tsquery('simple', :q))"
    )


def fts_phrase(query: str) -> str:
    """The user's words, each quoted on its own so that FTS5's query syntax never applies and every word must
    match (the index keeps no positions, so a quoted phrase may hold only one token)."""
    words = _WORDS.findall(query)
    return " ".join(f'"{w}"' for w in words) or '""'


_WORDS = re.compile(r"\w+", re.UNICODE)
