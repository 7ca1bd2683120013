"""The session list's orders (`SORTS`) and how a page reads one (`Order`): the keyset condition that continues
an order after a cursor, and, for a time range in the cost and token orders, which index reads it.

Every order has an index, alone and within a project or a tenant (`tables.sessions`), so a page reads a page's
worth of sessions. A time range (`since`, `until`) is a range of the start-time indexes: read in order for the
newest and oldest orders, but sorted for the cost and token orders, which costs the whole range (56 ms for the
154,000 sessions of 30 days in the 1M-activity benchmark store, docs/benchmarks.md). The cost and token indexes
carry the start time, so a range can instead be read in their order, each session's start time taken from the
index: a page then costs (the sessions ÷ those in the range) × a page of index entries at ~45 ns each, 0.2 ms
for a day of 30, 11 ms at worst (the whole index: the range's sessions last in the order, or none of them pass
the other filters).
SQLite plans without statistics: it would sort every range, or walk every order whose index covers the
statement. So on SQLite the list counts the range first (from a start-time index alone, up to `SORTED_RANGE`)
and hides from the planner the column of the way it must not take: the start time for a wide range, the sort
value for a narrow one (`+column`, the same value, which no index serves). PostgreSQL chooses from its
statistics.
The sessions with a failed activity (`has_failed_activities=true`) or with a call given feedback (`feedback`)
are found from those activities (`marks`: their partial indexes, `ix_activities_failed` and
`ix_activities_feedback`), which are few: read by pk and sorted, a page costs those activities, however many
sessions the account holds. On SQLite the list counts them first (up to `FEW_MARKED`) and, while they are few,
hides the account from the planner, which would otherwise walk the order to find the rare sessions that have
one; from that many it walks the order and tests each session by its own activities. PostgreSQL chooses from
its statistics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Connection, func, or_, select

from .activity_queries import FEEDBACK
from .dialect import unindexed
from .tables.activities import activities
from .tables.sessions import sessions

if TYPE_CHECKING:
    from .session_queries import SessionFilter

SORTS = {  # name -> (column, descending); ties are broken by pk in the same direction
    "newest": (sessions.c.start_time, True),
    "oldest": (sessions.c.start_time, False),
    "cost": (sessions.c.cost, True),
    "tokens": (sessions.c.total_tokens, True),
}
# a range of fewer sessions is sorted, in under 1 ms (~0.36 µs a session); from this many, a page of the range
# lies within the first (154,000 ÷ 2,000) × 50 entries of the order's index in the benchmark store: 0.2 ms
SORTED_RANGE = 2_000
# fewer failed (or rated) activities are read and their sessions sorted, ~6 µs each (SQLite in-process, 1M
# activities in 154,000 sessions); from this many, a walk of the order, testing ~(sessions ÷ those activities)
# × 50 sessions for a page, costs as much (~20 ms) and less the more there are (4 ms at 49,000)
FEW_MARKED = 3_000
FAILED = activities.c.error.is_not(None)  # an activity with an error, as `ix_activities_failed` holds them


def feedback_given(feedback: str) -> ColumnElement[bool]:
    """The activities given `feedback`: a thumbs `up` or `down` (`activity_queries.FEEDBACK`, as the list of
    activities filters them), or `any` feedback label; `ix_activities_feedback` holds them all."""
    label = activities.c.feedback_label
    return label.is_not(None) if feedback == "any" else label == FEEDBACK[feedback]


def marks(where: SessionFilter) -> dict[str, ColumnElement[bool]]:
    """{filter name: the activities it looks for} of the filters that want sessions holding a few activities of
    their own partial index: a failed one (`has_failed_activities=true`), one given feedback (`feedback`)."""
    out = {}
    if where.has_failed_activities:
        out["has_failed_activities"] = FAILED
    if where.feedback is not None:
        out["feedback"] = feedback_given(where.feedback)
    return out


class Order:
    """The order of `sort` as one page's statements read it: `column` (the sort value) and `started` (the start
    time, which the time range compares) are the table's columns, or one of them hidden from SQLite's planner;
    which one, SQLite's list decides by counting the time range when it makes the order. `account` is the
    condition on the account, its column hidden from SQLite's planner when the page is read from the account's
    few failed or rated activities (`leads`)."""

    def __init__(self, conn: Connection, account_id: int, where: SessionFilter, sort: str) -> None:
        self.column, self.descending = SORTS[sort]
        self.started = sessions.c.start_time
        self.account = sessions.c.account_id == account_id
        self._leading = set(marks(where))  # on PostgreSQL the planner weighs them against the order
        ranged = where.since is not None or where.until is not None
        if conn.dialect.name != "sqlite":
            return
        if ranged and self.column is not sessions.c.start_time:
            if _range_size(conn, account_id, where) < SORTED_RANGE:
                self.column = unindexed(self.column)
            else:
                self.started = unindexed(sessions.c.start_time)
        self._leading = {name for name, marked in marks(where).items() if _few(conn, account_id, marked)}
        if self._leading:
            self.account = unindexed(sessions.c.account_id) == account_id

    def leads(self, name: str) -> bool:
        """Whether the sessions that the filter `name` (of `marks`) wants are read from its activities."""
        return name in self._leading

    def beyond(self, after: tuple | None) -> list:
        """After (value, pk) in the order (the value may be a subquery); written `column <= value AND (...)` so
        that the planner starts the index range at the value instead of reading every session before it."""
        if after is None:
            return []
        value, pk = after
        if self.descending:
            return [self.column <= value, or_(self.column < value, sessions.c.pk < pk)]
        return [self.column >= value, or_(self.column > value, sessions.c.pk > pk)]

    def by(self) -> tuple:
        """The ORDER BY: the sort value, then the pk."""
        if self.descending:
            return self.column.desc(), sessions.c.pk.desc()
        return self.column.asc(), sessions.c.pk.asc()


def _range_size(conn: Connection, account_id: int, where: SessionFilter) -> int:
    """The sessions in the time range, counted up to SORTED_RANGE within the project or else the tenant: what
    one start-time index holds, so the count reads nothing else."""
    conditions = [sessions.c.account_id == account_id]
    if where.project_id is not None:
        conditions.append(sessions.c.project_id == where.project_id)
    elif where.tenant is not None:
        conditions.append(sessions.c.tracking_tenant == where.tenant)
    if where.since is not None:
        conditions.append(sessions.c.start_time >= where.since)
    if where.until is not None:
        conditions.append(sessions.c.start_time < where.until)
    in_range = select(sessions.c.pk).where(*conditions).limit(SORTED_RANGE).subquery()
    return conn.execute(select(func.count()).select_from(in_range)).scalar_one()


def _few(conn: Connection, account_id: int, marked: ColumnElement[bool]) -> bool:
    """Whether the account has fewer than FEW_MARKED of the `marked` activities, counted from their partial index
    alone."""
    some = select(activities.c.pk).where(activities.c.account_id == account_id, marked).limit(FEW_MARKED).subquery()
    return conn.execute(select(func.count()).select_from(some)).scalar_one() < FEW_MARKED
