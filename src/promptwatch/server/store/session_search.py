"""The session list's text search on SQLite (PostgreSQL filters in one query, see `search.PostgresMatch`), for a
page (`search_page`) and for the list's count (`count_matching`).

The list walks the sessions that pass the other filters in its own order and asks the index which of each batch
match, so a frequent word costs a page's worth of sessions, not every match in the store. Before each batch is
tested the walk projects what finishing the page would cost, from the batch's activities and pk ranges and the
share of sessions that matched so far, and asks the index for every match if there are fewer than would cost
as much. Then either the matches drive (their sessions read by pk, filtered and sorted: a rare word), or the
walk goes on testing sessions against the matches it holds instead of the index (in an order whose neighbouring
sessions lie far apart in pks, each would cost a range of its own). Costs in microseconds, measured on the
1M-activity benchmark store (docs/benchmarks.md); the index's own are in `search.SqliteMatch`.
"""

from __future__ import annotations

import math

from sqlalchemy import Connection, select

from . import search
from .session_order import Order
from .tables.sessions import sessions

CANDIDATE_COST = 2.0  # reading one session in the list's order (each order has an index, see tables.sessions)
FIRST_RATE = 0.5  # the share of sessions assumed to match before any was examined
# a count (`count_matching`) reads every match while they are at most this many per session it may count: ~1.2 µs
# a match at 100,000 activities (`refund`: 12,451 matches, 16 ms for their 8,348 sessions, where the walk took
# 105 ms to find them), `match_cost` where they lie scattered; the walk to the cap reads ~cap ÷ (the share of
# sessions that match) sessions and their activities
MATCHES_PER_COUNTED = 2


def search_page(
    conn: Connection, match: search.SqliteMatch, filters: list, order: Order, after: tuple | None, limit: int
) -> list[int]:
    """The pks of the first `limit` sessions after `after` that pass `filters` and have a matching activity, in
    the list's order: exactly what filtering by every match gives, whatever the order of session start times
    against activity pks (each session is decided by all of its activities)."""
    candidates = _Candidates(conn, [order.account, *filters], order, after)
    found: list[int] = []
    examined = activities_read = 0
    while len(found) < limit and not candidates.done:
        need = limit - len(found)
        wanted = math.ceil(need / _match_rate(len(found), examined))
        start = candidates.position
        batch = match.batch(candidates.take(min(math.ceil(wanted * 1.2), 4 * max(examined, limit))))
        if not batch.sessions:
            break
        per_activity = (activities_read + len(batch.activities)) / (examined + len(batch.sessions))
        matches = _driving_matches(match, batch, wanted, per_activity, candidates)
        if matches is not None:
            return found + _driven_by(conn, match, matches, filters, order, start, need)
        if not examined and match.held is None and len(batch.ranges) * 2 > len(batch.sessions):
            batch = _head(match, candidates, batch, math.ceil(need * 1.2))
        seen = match.sessions_among(batch)
        found += [pk for pk in batch.sessions if pk in seen]
        examined, activities_read = examined + len(batch.sessions), activities_read + len(batch.activities)
    return found[:limit]


def count_matching(conn: Connection, match: search.SqliteMatch, filters: list, order: Order, cap: int) -> int:
    """How many sessions pass `filters` and have a matching activity, counted up to `cap`: from every match while
    they are few enough (MATCHES_PER_COUNTED), else by walking the list's order to the cap."""
    matches = match.matches_up_to(cap * MATCHES_PER_COUNTED)
    if matches is None:
        return len(search_page(conn, match, filters, order, None, cap))
    return len(_driven_by(conn, match, matches, filters, order, None, cap))


def _head(match: search.SqliteMatch, candidates: _Candidates, batch: search.Batch, count: int) -> search.Batch:
    """The batch's first `count` sessions, the others given back. The first batch is sized for the share of
    sessions assumed to match (FIRST_RATE); but where most sessions need a range of their own (the cost and
    token orders) each costs more than another round would, so only as many are tested as would finish the
    page if every one matched."""
    if count >= len(batch.sessions):
        return batch
    candidates.back_to(batch.sessions[count - 1])
    return match.batch(batch.sessions[:count])


def _driving_matches(
    match: search.SqliteMatch, batch: search.Batch, wanted: int, per_activity: float, candidates: _Candidates
) -> search.Matches | None:
    """Every match, when the page is cheaper to finish from them than by walking `wanted` more sessions. When
    they are fewer than the walk would cost to test by the index, but too many to drive, the walk holds them
    and tests by them from then on; that is worth asking the index about only where the ranges are most of
    the walk's cost."""
    held_walk = wanted * per_activity * match.held_cost + candidates.cost(wanted)
    if match.held is not None:
        return match.held if match.held.count * match.match_cost <= held_walk else None
    ranges, hold_cost = len(batch.ranges) * match.range_cost * match.words, match.hold_cost * match.words
    walk = wanted * (per_activity * match.activity_cost + ranges / len(batch.sessions)) + candidates.cost(wanted)
    cap = walk / match.match_cost
    if (walk - held_walk) * 2 > walk:
        cap = max(cap, (walk - held_walk) / hold_cost)
    matches = match.matches_up_to(int(cap))
    if matches is None or matches.count * match.match_cost <= matches.count * hold_cost + held_walk:
        return matches
    match.hold(matches)
    return None


def _match_rate(found: int, examined: int) -> float:
    """The share of sessions that match, from what the walk saw; none yet: half of what one more would show."""
    if found:
        return found / examined
    return 1 / (2 * examined) if examined else FIRST_RATE


def _driven_by(
    conn: Connection,
    match: search.SqliteMatch,
    matches: search.Matches,
    filters: list,
    order: Order,
    after: tuple | None,
    limit: int,
) -> list[int]:
    """The page from the sessions of the matching activities, sorted afterwards. `account_id + 0` keeps the
    planner off the account's indexes, which would lead it to read every session of the account in order."""
    query = (
        select(sessions.c.pk)
        .where(
            (sessions.c.account_id + 0) == match.account_id,
            sessions.c.pk.in_(match.sessions_of(matches.pks).columns(session_pk=sessions.c.pk.type)),
            *filters,
            *order.beyond(after),
        )
        .order_by(*order.by())
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


class _Candidates:
    """The account's sessions that pass the filters, in the list's order, read as they are taken. Only pks are
    read (converting every sort value would cost more than the rest); a position is the pk and a subquery of
    its sort value, which the statement using it evaluates once."""

    def __init__(self, conn: Connection, conditions: list, order: Order, after: tuple | None) -> None:
        self.conn, self.conditions, self.order = conn, conditions, order
        self.position = after  # (sort value, pk) of the last session taken
        self.done = False  # no session is left beyond the position

    def cost(self, count: int) -> float:
        """What taking `count` more would cost."""
        return 0.0 if self.done else count * CANDIDATE_COST

    def take(self, count: int) -> list[int]:
        query = (
            select(sessions.c.pk)
            .where(*self.conditions, *self.order.beyond(self.position))
            .order_by(*self.order.by())
            .limit(count)
        )
        taken = list(self.conn.execute(query).scalars())
        if taken:
            self.back_to(taken[-1])
        self.done = len(taken) < count
        return taken

    def back_to(self, pk: int) -> None:
        """Go on after this session, one of those taken."""
        self.position = select(self.order.column).where(sessions.c.pk == pk).scalar_subquery(), pk
        self.done = False
