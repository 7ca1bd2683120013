"""The values the session filters suggest: an account's projects, tenants, models and templates, the most used
first. Read from the projects table and the hourly usage roll-ups (written at ingest, one row per hour and
label combination), never from sessions or activities, so the answer costs the same on a store of a million
activities. The roll-ups count closed LLM calls: a tenant, model or template seen only outside LLM calls is
not suggested, and one whose sessions were purged by retention still is."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from .tables.accounts import projects
from .tables.usage import usage_hourly

LABELS = {
    "tenants": usage_hourly.c.tracking_tenant,
    "models": usage_hourly.c.model,
    "templates": usage_hourly.c.template_name,
}


def project_names(conn: Connection, account_id: int, limit: int) -> list[str]:
    """The account's projects, those with the most LLM calls first, then the others by name."""
    used = (
        select(usage_hourly.c.project_id, func.sum(usage_hourly.c.calls).label("calls"))
        .where(usage_hourly.c.account_id == account_id)
        .group_by(usage_hourly.c.project_id)
        .subquery()
    )
    query = (
        select(projects.c.name)
        .outerjoin(used, used.c.project_id == projects.c.id)
        .where(projects.c.account_id == account_id)
        .order_by(func.coalesce(used.c.calls, 0).desc(), projects.c.name)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def label_values(conn: Connection, account_id: int, label: str, project_id: int | None, limit: int) -> list[str]:
    """The values of one label (`LABELS`) that LLM calls carried, the most called first; of one project when
    `project_id` is given."""
    column, calls = LABELS[label], func.sum(usage_hourly.c.calls)
    query = select(column).where(usage_hourly.c.account_id == account_id, column != "")
    if project_id is not None:
        query = query.where(usage_hourly.c.project_id == project_id)
    query = query.group_by(column).having(calls > 0).order_by(calls.desc(), column).limit(limit)
    return list(conn.execute(query).scalars())
