"""Metrics read from the hourly roll-ups: calls, errors, tokens, cost and latency percentiles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from .tables.accounts import projects
from .tables.usage import latency_hourly, usage_hourly

GROUP_COLUMNS = {
    "project": "project_id",
    "tenant": "tracking_tenant",
    "model": "model",
    "template": "template_name",
}


def usage_rows(conn: Connection, account_id: int, since: datetime | None, until: datetime | None):
    query = select(usage_hourly).where(usage_hourly.c.account_id == account_id)
    if since is not None:
        query = query.where(usage_hourly.c.hour >= since)
    if until is not None:
        query = query.where(usage_hourly.c.hour < until)
    return list(conn.execute(query).mappings())


def latency_rows(conn: Connection, account_id: int, since: datetime | None, until: datetime | None):
    query = select(latency_hourly).where(latency_hourly.c.account_id == account_id)
    if since is not None:
        query = query.where(latency_hourly.c.hour >= since)
    if until is not None:
        query = query.where(latency_hourly.c.hour < until)
    return list(conn.execute(query).mappings())


def project_names(conn: Connection, account_id: int) -> dict[int, str]:
    rows = conn.execute(select(projects.c.id, projects.c.name).where(projects.c.account_id == account_id))
    return dict(rows.all())
