"""The full-text index over activity text: contentless FTS5 on SQLite, a tsvector table on PostgreSQL.

SQLite's contentless table keeps no copy of the text, so removing a row needs the text it was indexed
with; callers pass it (they have the body at hand).

`text_match` answers what the session list's text search asks of the index (`session_queries`): on
PostgreSQL the subquery of the matching sessions; on SQLite which of some sessions have a matching activity,
and every match when there are few.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, TextClause, column, delete, table, text

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


def text_match(conn: Connection, account_id: int, query: str) -> PostgresMatch | SqliteMatch:
    """The index's answers about `query` (the user's words) for one account."""
    if conn.dialect.name == "sqlite":
        return SqliteMatch(conn, account_id, query)
    return PostgresMatch(conn, account_id, query)


class PostgresMatch:
    """The session list filters by `session_pks()` in one query, which PostgreSQL's planner, with table
    statistics and the GIN index, runs in a few milliseconds at 100,000 activities."""

    walks = False  # see SqliteMatch

    def __init__(self, conn: Connection, account_id: int, query: str) -> None:
        self.conn, self.account_id, self.query = conn, account_id, query

    def session_pks(self) -> TextClause:
        """SQL selecting the pks of the account's sessions with a matching activity."""
        return text(
            "SELECT a.session_pk FROM activities a WHERE a.account_id = :account AND a.pk IN "
            "(SELECT activity_pk FROM activity_search WHERE account_id = :account "
            "AND tsv @@ plainto_tsquery('simple', :q))"
        ).bindparams(q=self.query, account=self.account_id)


@dataclass
class Examined:
    sessions: set[int]  # those of the sessions asked about with a matching activity
    activities: int  # activities read to find out
    ranges: int  # index ranges opened


class SqliteMatch:
    """SQLite has no statistics (nothing runs ANALYZE) and plans the one-query filter by reading every
    activity of the account, 150-250 ms at 1,000,000; so the session list walks its sessions and asks which
    match (`sessions_among`), or lets the matches drive when the index says they are few (`matches_up_to`).

    The costs are in microseconds per unit, measured on the 1M-activity benchmark store (docs/benchmarks.md):
    reading an activity's pk span and testing it; opening the index at one range of pks (FTS5 seeks in every
    segment); reading a matching activity by pk and its session when the matches drive (scattered rows)."""

    walks = True
    activity_cost, range_cost, match_cost = 0.8, 200.0, 8.0
    RANGE_GAP = 4096  # sessions whose activity pks lie further apart than this are looked up in separate ranges

    def __init__(self, conn: Connection, account_id: int, query: str) -> None:
        self.conn, self.account_id = conn, account_id
        self.phrase = fts_phrase(query)
        self._counted, self._matches = -1, "[]"  # matches read so far, and their pks as a JSON array
        self._complete = False  # whether that was every match

    def matches_up_to(self, cap: int) -> str | None:
        """The pks of every matching activity (of any account) as a JSON array when there are at most `cap`,
        else None. The index is read half as far again as asked, so that the walk's next, similar question is
        answered from what was read; SQLite builds the array, at about the cost of counting."""
        if not self._complete and cap >= self._counted:
            limit = max(cap, self._counted) * 3 // 2 + 1
            self._counted, self._matches = self.conn.execute(_MATCHES, {"q": self.phrase, "n": limit}).one()
            self._complete = self._counted < limit
        return self._matches if self._complete and self._counted <= cap else None

    def sessions_among(self, session_pks: Sequence[int]) -> Examined:
        """Which of these sessions have a matching activity: the span of activity pks of each session (from the
        session index alone), the spans merged into ranges, then the index's matches within the ranges (FTS5
        seeks to a rowid range instead of reading every match), each read by pk for its session and account.
        A span only says where to look: an activity of another account would widen it, never match."""
        sessions = json.dumps(list(session_pks))
        activities, spans = self.conn.execute(_SPANS, {"sessions": sessions}).one()
        ranges = _ranges(json.loads(spans), self.RANGE_GAP)
        if not ranges:
            return Examined(set(), 0, 0)
        params = {"ranges": json.dumps(ranges), "q": self.phrase, "account": self.account_id, "sessions": sessions}
        matching = set(self.conn.execute(_MATCHES_IN_RANGES, params).scalars())
        return Examined(matching, activities, len(ranges))

    def sessions_of(self, activity_pks: str) -> TextClause:
        """SQL selecting the account's sessions of these activities (a JSON array of pks), each read by pk."""
        return text(
            "SELECT a.session_pk FROM json_each(:activities) AS m CROSS JOIN activities AS a ON a.pk = m.value "
            "WHERE a.account_id = :account"
        ).bindparams(activities=activity_pks, account=self.account_id)


_MATCHES = text(
    "SELECT count(*), json_group_array(rowid) FROM "
    "(SELECT rowid FROM activity_search WHERE activity_search MATCH :q LIMIT :n)"
)
_SPANS = text(  # one row: SQLAlchemy would take longer over a row a session than SQLite over the activities
    "SELECT coalesce(sum(n), 0), json_group_array(json_array(first, last)) FROM "
    "(SELECT min(pk) AS first, max(pk) AS last, count(*) AS n FROM activities "
    "WHERE session_pk IN (SELECT value FROM json_each(:sessions)) GROUP BY session_pk)"
)
_MATCHES_IN_RANGES = text(
    "SELECT DISTINCT a.session_pk FROM json_each(:ranges) AS r "
    "CROSS JOIN activity_search AS f CROSS JOIN activities AS a ON a.pk = f.rowid "
    "WHERE f.activity_search MATCH :q "
    "AND f.rowid BETWEEN json_extract(r.value, '$[0]') AND json_extract(r.value, '$[1]') "
    "AND a.account_id = :account AND a.session_pk IN (SELECT value FROM json_each(:sessions))"
)


def _ranges(spans: Sequence[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    """(first, last) spans merged into sorted ranges, wherever they overlap or lie at most `gap` apart."""
    ranges: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if ranges and first - ranges[-1][1] <= gap:
            ranges[-1] = (ranges[-1][0], max(last, ranges[-1][1]))
        else:
            ranges.append((first, last))
    return ranges


def fts_phrase(query: str) -> str:
    """The user's words, each quoted on its own so that FTS5's query syntax never applies and every word must
    match (the index keeps no positions, so a quoted phrase may hold only one token)."""
    words = _WORDS.findall(query)
    return " ".join(f'"{w}"' for w in words) or '""'


_WORDS = re.compile(r"\w+", re.UNICODE)
