"""LLM calls stored without a price, and pricing them once their model has one.

A closed call with tokens whose model had no price when it was stored is unpriced (its cost is NULL). When
the account adds a price override for that model later, such calls can be priced: each gets the cost and
price version it would have had at ingest with today's overrides, and its session's cost and the hourly
roll-ups follow (the roll-up takes back what it counted of the call and counts it again, priced). A call
that has a cost keeps it, so reports already made stay reproducible.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, RowMapping, bindparam, func, select, update

from .ingest_writer import add_session_costs, llm_contributions
from .rollups import USAGE_TYPES, Rollups
from .tables.activities import activities
from .tables.sessions import sessions
from .tables.usage import usage_hourly

_UNPRICED = (
    activities.c.activity_type.in_(USAGE_TYPES),
    activities.c.end_time.is_not(None),
    activities.c.cost.is_(None),
    activities.c.total_tokens.is_not(None),
)


def unpriced_by_model(conn: Connection, account_id: int, project_id: int | None = None) -> list[RowMapping]:
    """[{model, calls}] of the account's unpriced calls (of one project when given), most first, from the
    hourly roll-ups (no scan of the calls)."""
    calls = func.sum(usage_hourly.c.unpriced_calls).label("calls")
    query = select(usage_hourly.c.model, calls).where(usage_hourly.c.account_id == account_id)
    if project_id is not None:
        query = query.where(usage_hourly.c.project_id == project_id)
    query = query.group_by(usage_hourly.c.model).having(calls > 0).order_by(calls.desc(), usage_hourly.c.model)
    return list(conn.execute(query).mappings())


def price_some(
    conn: Connection,
    account_id: int,
    model: str | None,
    after_pk: int,
    limit: int,
    price: Callable[[dict], tuple[float | None, str | None]],
    now: datetime,
) -> tuple[int, int, float]:
    """Price up to `limit` unpriced calls above `after_pk` (of `model` only, in any case, when given) with
    `price` (a call's row → (cost, price version)). Returns (the last pk read, calls priced, their cost);
    the last pk is `after_pk` when none was left. On PostgreSQL the rows are locked in the ingest writer's
    order, sessions first, then calls (then roll-ups), so that a copy of a call it writes meanwhile waits and
    neither can deadlock the other; the calls are read again once locked."""
    query = select(activities.c.pk).where(activities.c.account_id == account_id, activities.c.pk > after_pk, *_UNPRICED)
    if model is not None:
        query = query.where(func.lower(activities.c.model) == model.lower())
    found = list(conn.execute(query.order_by(activities.c.pk).limit(limit)).scalars())
    if not found:
        return after_pk, 0, 0.0
    of_calls = select(activities.c.session_pk).where(activities.c.pk.in_(found))
    conn.execute(select(sessions.c.pk).where(sessions.c.pk.in_(of_calls)).order_by(sessions.c.pk).with_for_update())
    locked = select(activities.c.pk).where(activities.c.pk.in_(found), *_UNPRICED).order_by(activities.c.pk)
    pks = list(conn.execute(locked.with_for_update()).scalars())
    calls = llm_contributions(conn, activities.c.pk.in_(pks)) if pks else []
    priced = [(row, info, *price(row)) for row, info in calls]
    priced = [(row, info, cost, version) for row, info, cost, version in priced if cost is not None]
    if priced:
        conn.execute(
            update(activities)
            .where(activities.c.pk == bindparam("p_pk"))
            .values(cost=bindparam("p_cost"), price_version=bindparam("p_version")),
            [{"p_pk": row["pk"], "p_cost": cost, "p_version": version} for row, _info, cost, version in priced],
        )
        costs: dict[int, float] = {}
        for row, _info, cost, _version in priced:
            costs[row["session_pk"]] = costs.get(row["session_pk"], 0.0) + cost
        add_session_costs(conn, costs, now)
        rollups = Rollups()  # last, as ingest writes them: the calls leave the roll-ups unpriced, come back priced
        rollups.add(account_id, [(row, info) for row, info, _cost, _version in priced], sign=-1)
        rollups.add(account_id, [({**row, "cost": cost}, info) for row, info, cost, _version in priced])
        rollups.write(conn)
    return found[-1], len(priced), sum(cost for _row, _info, cost, _version in priced)
