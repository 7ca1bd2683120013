"""Queries over sessions: the filtered list (projection only) with its text search, one session's row, and the
unpriced calls of a page of sessions. A session's activities are read by `session_detail`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, TextClause, exists, func, or_, select, text

from . import search
from .tables.accounts import projects
from .tables.activities import activities
from .tables.sessions import sessions

LIST_COLUMNS = (
    sessions.c.pk,
    sessions.c.id,
    projects.c.name.label("tracking_project"),
    sessions.c.tracking_tenant,
    sessions.c.session_name,
    sessions.c.start_time,
    sessions.c.end_time,
    sessions.c.is_error,
    sessions.c.steps_count,
    sessions.c.activity_count,
    sessions.c.llm_calls,
    sessions.c.prompt_tokens,
    sessions.c.completion_tokens,
    sessions.c.total_tokens,
    sessions.c.cost,
    sessions.c.tags,
    sessions.c.metadata,
    sessions.c.source,
)


@dataclass
class SessionFilter:
    project_id: int | None = None
    tenant: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    has_error: bool | None = None
    template: str | None = None
    model: str | None = None
    q: str | None = None
    tag: str | None = None
    metadata: dict[str, str] | None = None


SORTS = {
    "newest": (sessions.c.start_time, True),
    "oldest": (sessions.c.start_time, False),
    "cost": (sessions.c.cost, True),
    "tokens": (sessions.c.total_tokens, True),
}


def list_sessions(
    conn: Connection, account_id: int, where: SessionFilter, limit: int, sort: str, after: tuple | None
) -> list[RowMapping]:
    """Sorted by `sort` (see SORTS), ties broken by pk; `after` is the (sort value, pk) of the last row of the
    previous page."""
    column, descending = SORTS[sort]
    query = select(*LIST_COLUMNS).outerjoin(projects, projects.c.id == sessions.c.project_id)
    filters = _conditions(conn, account_id, where)
    if where.q:
        match = search.text_match(conn, account_id, where.q)
        if match.walks:
            pks = search_page(conn, match, filters, sort, after, limit)
            if not pks:
                return []
            rows = {row["pk"]: row for row in conn.execute(query.where(sessions.c.pk.in_(pks))).mappings()}
            return [rows[pk] for pk in pks]
        filters.append(sessions.c.pk.in_(_session_pks(match.session_pks())))
    query = query.where(sessions.c.account_id == account_id, *filters, *_beyond(column, descending, after))
    return list(conn.execute(query.order_by(*_order(column, descending)).limit(limit)).mappings())


def _session_pks(sql: TextClause):
    return sql.columns(session_pk=sessions.c.pk.type)


def _beyond(column, descending: bool, after: tuple | None) -> list:
    """After (value, pk) in the order (the value may be a subquery); written `column <= value AND (...)` so that
    the planner starts the index range at the value instead of reading every session before it."""
    if after is None:
        return []
    value, pk = after
    if descending:
        return [column <= value, or_(column < value, sessions.c.pk < pk)]
    return [column >= value, or_(column > value, sessions.c.pk > pk)]


def _order(column, descending: bool) -> tuple:
    return (column.desc(), sessions.c.pk.desc()) if descending else (column.asc(), sessions.c.pk.asc())


# SQLite's text search (PostgreSQL filters in one query, see search.PostgresMatch) walks the sessions that
# pass the other filters in the list's order and asks the index which of each batch match, so a frequent word
# costs a page's worth of sessions, not every match in the store. A rare word would make that walk long: before
# each batch the walk projects what finishing the page would cost and asks the index for its matches if there
# are fewer than would cost as much; then the matches drive. Costs in microseconds, measured on the
# 1M-activity benchmark store (docs/benchmarks.md); the index's own are in `search.SqliteMatch`.
CANDIDATE_COST = 2.0  # reading one session in the list's order (each order has an index, see tables.sessions)
FIRST_RATE = 0.5  # the share of sessions assumed to match before any was examined
FIRST_ACTIVITIES = 8  # activities per session assumed before any was read


def search_page(
    conn: Connection, match: search.SqliteMatch, filters: list, sort: str, after: tuple | None, limit: int
) -> list[int]:
    """The pks of the first `limit` sessions after `after` that pass `filters` and have a matching activity, in
    the list's order: exactly what filtering by every match gives, whatever the order of session start times
    against activity pks (each session is decided by all of its activities)."""
    conditions = [sessions.c.account_id == match.account_id, *filters]
    candidates = _Candidates(conn, conditions, sort, after)
    found: list[int] = []
    examined = activities_read = ranges = 0
    while len(found) < limit and not candidates.done:
        need = limit - len(found)
        wanted = math.ceil(need / _match_rate(len(found), examined))
        per_activity = activities_read / examined if examined else FIRST_ACTIVITIES
        per_range = ranges / examined if examined else 0
        per_session = per_activity * match.activity_cost + per_range * match.range_cost
        walk_cost = wanted * per_session + candidates.cost(wanted)
        matches = match.matches_up_to(int(walk_cost / match.match_cost))
        if matches is not None:
            return found + _driven_by_matches(conn, match, matches, filters, sort, candidates.position, need)
        batch = candidates.take(min(math.ceil(wanted * 1.2), 4 * max(examined, limit)))
        seen = match.sessions_among(batch)
        found += [pk for pk in batch if pk in seen.sessions]
        examined, activities_read, ranges = (
            examined + len(batch),
            activities_read + seen.activities,
            ranges + seen.ranges,
        )
    return found[:limit]


def _match_rate(found: int, examined: int) -> float:
    """The share of sessions that match, from what the walk saw; none yet: half of what one more would show."""
    if found:
        return found / examined
    return 1 / (2 * examined) if examined else FIRST_RATE


def _driven_by_matches(
    conn: Connection,
    match: search.SqliteMatch,
    matches: str,
    filters: list,
    sort: str,
    after: tuple | None,
    limit: int,
) -> list[int]:
    """The page from the sessions of the matching activities, sorted afterwards. `account_id + 0` keeps the
    planner off the account's indexes, which would lead it to read every session of the account in order."""
    column, descending = SORTS[sort]
    query = (
        select(sessions.c.pk)
        .where(
            (sessions.c.account_id + 0) == match.account_id,
            sessions.c.pk.in_(_session_pks(match.sessions_of(matches))),
            *filters,
            *_beyond(column, descending, after),
        )
        .order_by(*_order(column, descending))
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


class _Candidates:
    """The account's sessions that pass the filters, in the list's order, read as they are taken. Only pks are
    read (converting every sort value would cost more than the rest); a position is the pk and a subquery of
    its sort value, which the statement using it evaluates once."""

    def __init__(self, conn: Connection, conditions: list, sort: str, after: tuple | None) -> None:
        self.conn, self.conditions = conn, conditions
        self.column, self.descending = SORTS[sort]
        self.position = after  # (sort value, pk) of the last session taken
        self.done = False  # no session is left beyond the position

    def cost(self, count: int) -> float:
        """What taking `count` more would cost."""
        return 0.0 if self.done else count * CANDIDATE_COST

    def take(self, count: int) -> list[int]:
        query = (
            select(sessions.c.pk)
            .where(*self.conditions, *_beyond(self.column, self.descending, self.position))
            .order_by(*_order(self.column, self.descending))
            .limit(count)
        )
        taken = list(self.conn.execute(query).scalars())
        self.done = len(taken) < count
        if taken:
            self.position = select(self.column).where(sessions.c.pk == taken[-1]).scalar_subquery(), taken[-1]
        return taken


def _conditions(conn: Connection, account_id: int, where: SessionFilter) -> list:
    """Every filter but the account's and the text (see `search_page`)."""
    out = []
    if where.project_id is not None:
        out.append(sessions.c.project_id == where.project_id)
    if where.tenant is not None:
        out.append(sessions.c.tracking_tenant == where.tenant)
    if where.since is not None:
        out.append(sessions.c.start_time >= where.since)
    if where.until is not None:
        out.append(sessions.c.start_time < where.until)
    if where.has_error is not None:
        out.append(sessions.c.is_error == where.has_error)
    for column, value in ((activities.c.template_name, where.template), (activities.c.model, where.model)):
        if value is not None:
            out.append(
                exists().where(
                    activities.c.account_id == account_id, column == value, activities.c.session_pk == sessions.c.pk
                )
            )
    if where.tag is not None:
        out.append(_has_tag(conn, where.tag))
    for key, value in (where.metadata or {}).items():
        out.append(sessions.c.metadata[key].as_string() == value)
    return out


def _has_tag(conn: Connection, tag: str):
    if conn.dialect.name == "sqlite":
        return text("EXISTS (SELECT 1 FROM json_each(sessions.tags) WHERE json_each.value = :tag)").bindparams(tag=tag)
    return text("sessions.tags ? :tag").bindparams(tag=tag)


def get_session(conn: Connection, account_id: int, session_id: str) -> RowMapping | None:
    query = (
        select(*LIST_COLUMNS)
        .outerjoin(projects, projects.c.id == sessions.c.project_id)
        .where(sessions.c.account_id == account_id, sessions.c.id == session_id)
    )
    return conn.execute(query).mappings().first()


def unpriced_calls(conn: Connection, session_pks: list[int]) -> dict[int, int]:
    """{session pk: its LLM calls that have no cost because their model has no price}, for sessions that have
    any. A call the provider refused (no tokens) costs nothing, and an open call has no cost yet: neither
    counts. Read for a page of sessions, through the activities' session index."""
    if not session_pks:
        return {}
    query = (
        select(activities.c.session_pk, func.count())
        .where(
            activities.c.session_pk.in_(session_pks),
            activities.c.activity_type == "llm-prompt",
            activities.c.end_time.is_not(None),
            activities.c.total_tokens.is_not(None),
            activities.c.cost.is_(None),
        )
        .group_by(activities.c.session_pk)
    )
    return dict(conn.execute(query).all())
