"""The access log: batched inserts, expiry, and per-day volumes with no account in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, case, delete, func, insert, select

from .tables.access_log import access_log


def insert_entries(conn: Connection, entries: list[dict]) -> None:
    if entries:
        conn.execute(insert(access_log), entries)


def delete_before(conn: Connection, before: datetime) -> int:
    return conn.execute(delete(access_log).where(access_log.c.at < before)).rowcount


def recent(conn: Connection, limit: int) -> list[RowMapping]:
    query = select(access_log).order_by(access_log.c.id.desc()).limit(limit)
    return list(conn.execute(query).mappings())


def daily_volumes(conn: Connection, since: datetime) -> list[RowMapping]:
    day = func.date(access_log.c.at).label("day")
    query = (
        select(
            day,
            func.count().label("requests"),
            func.sum(case((access_log.c.status >= 400, 1), else_=0)).label("errors"),
            func.avg(access_log.c.latency_ms).label("mean_latency_ms"),
        )
        .where(access_log.c.at >= since)
        .group_by(day)
        .order_by(day)
    )
    return list(conn.execute(query).mappings())
