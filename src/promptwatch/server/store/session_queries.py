"""Queries over sessions: the filtered list (projection only) and its capped count, one session's row, and what
a page of sessions tells of its activities (`activity_tallies`). The list's orders are in `session_order`, its
text search on SQLite in `session_search`; a session's activities are read by `session_detail`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Integer, RowMapping, case, exists, func, select

from . import search
from .session_order import FAILED, Order, feedback_given
from .session_order import SORTS as SORTS  # the list's orders, which the service checks a request against
from .session_search import count_matching, search_page
from .tables.accounts import projects
from .tables.activities import activities
from .tables.sessions import sessions
from .tags import has_tag
from .usage_queries import UNPRICED_CALL

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
    has_error: bool | None = None  # the session's own outcome, as its client reported it
    has_failed_activities: bool | None = None  # whether any of its activities has an error
    feedback: str | None = None  # it holds a call given a thumbs `up`, `down`, or `any` feedback label
    template: str | None = None
    model: str | None = None
    q: str | None = None
    tag: str | None = None
    metadata: dict[str, str] | None = None
    cost: tuple[float | None, float | None] = (None, None)  # (at least, at most), each bound optional
    tokens: tuple[int | None, int | None] = (None, None)
    duration_ms: tuple[float | None, float | None] = (None, None)  # an open session has none


def list_sessions(
    conn: Connection, account_id: int, where: SessionFilter, limit: int, sort: str, after: tuple | None
) -> list[RowMapping]:
    """Sorted by `sort` (see SORTS), ties broken by pk; `after` is the (sort value, pk) of the last row of the
    previous page."""
    order = Order(conn, account_id, where, sort)
    query = select(*LIST_COLUMNS).outerjoin(projects, projects.c.id == sessions.c.project_id)
    filters, walk = _filters(conn, account_id, where, order)
    if walk is not None:
        pks = search_page(conn, walk, filters, order, after, limit)
        if not pks:
            return []
        rows = {row["pk"]: row for row in conn.execute(query.where(sessions.c.pk.in_(pks))).mappings()}
        return [rows[pk] for pk in pks]
    query = query.where(order.account, *filters, *order.beyond(after))
    return list(conn.execute(query.order_by(*order.by()).limit(limit)).mappings())


def count_sessions(conn: Connection, account_id: int, where: SessionFilter, cap: int) -> int:
    """The sessions that pass `where`, counted up to `cap`: at most `cap` of them are read, as the newest-first
    list would read them (a time range from the start-time index, failed or rated activities from their own),
    so a count costs what a page of `cap` sessions would, without their columns."""
    order = Order(conn, account_id, where, "newest")
    filters, walk = _filters(conn, account_id, where, order)
    if walk is not None:
        return count_matching(conn, walk, filters, order, cap)
    some = select(sessions.c.pk).where(order.account, *filters).limit(cap).subquery()
    return conn.execute(select(func.count()).select_from(some)).scalar_one()


def _filters(
    conn: Connection, account_id: int, where: SessionFilter, order: Order
) -> tuple[list, search.SqliteMatch | None]:
    """The conditions of `where` but the account's, and the text match that must be walked in the list's order
    instead (`session_search`, SQLite); PostgreSQL's text search is one more condition."""
    filters = _conditions(conn, account_id, where, order)
    if not where.q:
        return filters, None
    match = search.text_match(conn, account_id, where.q)
    if match.walks:
        return filters, match
    filters.append(sessions.c.pk.in_(match.session_pks().columns(session_pk=sessions.c.pk.type)))
    return filters, None


def _conditions(conn: Connection, account_id: int, where: SessionFilter, order: Order) -> list:
    """Every filter but the account's and the text (see `search_page`), as the list's `Order` reads them: the
    time range compares its `started`, and failed or rated activities are found as it decides (`leads`)."""
    out = []
    if where.project_id is not None:
        out.append(sessions.c.project_id == where.project_id)
    if where.tenant is not None:
        out.append(sessions.c.tracking_tenant == where.tenant)
    if where.since is not None:
        out.append(order.started >= where.since)
    if where.until is not None:
        out.append(order.started < where.until)
    if where.has_error is not None:
        out.append(sessions.c.is_error == where.has_error)
    if where.has_failed_activities is not None:
        lead = order.leads("has_failed_activities")
        out.append(_marked_sessions(account_id, FAILED, where.has_failed_activities, lead))
    if where.feedback is not None:
        out.append(_marked_sessions(account_id, feedback_given(where.feedback), True, order.leads("feedback")))
    for column, value in ((activities.c.template_name, where.template), (activities.c.model, where.model)):
        if value is not None:
            out.append(
                exists().where(
                    activities.c.account_id == account_id, column == value, activities.c.session_pk == sessions.c.pk
                )
            )
    if where.tag is not None:
        out.append(has_tag(sessions.c.tags, where.tag, conn.dialect.name))
    for key, value in (where.metadata or {}).items():
        out.append(sessions.c.metadata[key].as_string() == value)
    ranges = (
        (sessions.c.cost, where.cost),
        (sessions.c.total_tokens, where.tokens),
        (_duration_ms(conn), where.duration_ms),
    )
    for value, (low, high) in ranges:
        if low is not None:
            out.append(value >= low)
        if high is not None:
            out.append(value <= high)
    return out


def _marked_sessions(account_id: int, marked, wanted: bool, lead: bool):
    """The sessions with a `marked` activity (`wanted`: a failed one, one given feedback) or those without one.
    Where they `lead`, the sessions with one are those of the account's marked activities, read from their
    partial index (`ix_activities_failed`, `ix_activities_feedback`); otherwise each session is tested by its own
    activities (`ix_activities_session`) as the list walks its order, as for the sessions without one, which are
    most sessions."""
    if wanted and lead:
        return sessions.c.pk.in_(select(activities.c.session_pk).where(activities.c.account_id == account_id, marked))
    own = exists().where(activities.c.session_pk == sessions.c.pk, marked)
    return own if wanted else ~own


def _duration_ms(conn: Connection):
    """A session's duration in milliseconds; NULL while it is open."""
    start, end = sessions.c.start_time, sessions.c.end_time
    if conn.dialect.name == "sqlite":  # exact, where julianday() rounds to the millisecond
        return (_sqlite_micros(end) - _sqlite_micros(start)) / 1000.0
    return func.extract("epoch", end - start) * 1000


def _sqlite_micros(time):
    """Microseconds since 1970 of SQLite's `YYYY-MM-DD HH:MM:SS.ffffff` text: its whole seconds, then the rest."""
    return func.strftime("%s", func.substr(time, 1, 19)).cast(Integer) * 1_000_000 + func.substr(time, 21, 6).cast(
        Integer
    )


def get_session(conn: Connection, account_id: int, session_id: str) -> RowMapping | None:
    query = (
        select(*LIST_COLUMNS)
        .outerjoin(projects, projects.c.id == sessions.c.project_id)
        .where(sessions.c.account_id == account_id, sessions.c.id == session_id)
    )
    return conn.execute(query).mappings().first()


@dataclass(frozen=True)
class ActivityTally:
    """What a session's activities tell beyond its stored totals."""

    unpriced_calls: int = 0  # LLM calls with no cost because their model has no price
    failed_activities: int = 0  # activities with an error
    priced_activities: int = 0  # activities with a known cost, 0 too (a call served from the cache)


NO_ACTIVITIES = ActivityTally()


def activity_tallies(conn: Connection, session_pks: list[int]) -> dict[int, ActivityTally]:
    """{session pk: its `ActivityTally`}, for the sessions that have activities: one grouped read of a page of
    sessions' activities through their session index. An unpriced call is closed, with tokens and no cost: a
    call the provider refused (no tokens) costs nothing, and an open call has no cost yet."""
    if not session_pks:
        return {}
    query = (
        select(
            activities.c.session_pk,
            func.sum(case((UNPRICED_CALL, 1), else_=0)),
            func.count(activities.c.error),
            func.count(activities.c.cost),
        )
        .where(activities.c.session_pk.in_(session_pks))
        .group_by(activities.c.session_pk)
    )
    return {pk: ActivityTally(*counts) for pk, *counts in conn.execute(query).all()}
