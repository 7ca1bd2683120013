"""Metrics read from the hourly roll-ups: calls, errors, tokens, cost and latency percentiles; and the calls
among them that have no cost because their model has no price."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Table, and_, func, literal, select

from .rollups import USAGE_TYPES
from .tables.accounts import projects
from .tables.activities import activities
from .tables.usage import latency_hourly, usage_hourly

# an LLM call with no cost because its model has no price: closed, with tokens (a call the provider refused has
# none, and costs nothing), and no cost
UNPRICED_CALL = and_(
    activities.c.activity_type.in_(USAGE_TYPES),
    activities.c.end_time.is_not(None),
    activities.c.total_tokens.is_not(None),
    activities.c.cost.is_(None),
)

GROUP_COLUMNS = {
    "project": "project_id",
    "tenant": "tracking_tenant",
    "model": "model",
    "template": "template_name",
}


@dataclass(frozen=True)
class UsageFilter:
    """The roll-up rows whose hour starts in [since, until), of one project or tenant when given."""

    since: datetime | None = None
    until: datetime | None = None
    project_id: int | None = None
    tenant: str | None = None


def _conditions(table: Table, account_id: int, where: UsageFilter) -> list:
    out = [table.c.account_id == account_id]
    if where.since is not None:
        out.append(table.c.hour >= where.since)
    if where.until is not None:
        out.append(table.c.hour < where.until)
    if where.project_id is not None:
        out.append(table.c.project_id == where.project_id)
    if where.tenant is not None:
        out.append(table.c.tracking_tenant == where.tenant)
    return out


def usage_sums(conn: Connection, account_id: int, where: UsageFilter, group: str | None, measures: Sequence[str]):
    """(hour, group value, *sums of `measures`) of the roll-ups `where` takes, summed in the database per hour and
    value of the `group` column (`GROUP_COLUMNS`; None: per hour): as many rows as hours and groups, however many
    tenants, models and templates the roll-ups hold (one row each would be read and summed here)."""
    keys = _keys(usage_hourly, group)
    sums = (func.sum(usage_hourly.c[name]) for name in measures)
    query = select(*keys, *sums).where(*_conditions(usage_hourly, account_id, where)).group_by(*keys)
    return conn.execute(query).all()


def latency_counts(conn: Connection, account_id: int, where: UsageFilter, group: str | None):
    """(hour, group value, bucket, calls) of the latency histograms `where` takes, summed as `usage_sums` does."""
    keys = [*_keys(latency_hourly, group), latency_hourly.c.bucket]
    query = select(*keys, func.sum(latency_hourly.c.count)).where(*_conditions(latency_hourly, account_id, where))
    return conn.execute(query.group_by(*keys)).all()


def _keys(table: Table, group: str | None) -> list:
    return [table.c.hour, table.c[GROUP_COLUMNS[group]] if group else literal(None).label("grouped")]


def project_names(conn: Connection, account_id: int) -> dict[int, str]:
    rows = conn.execute(select(projects.c.id, projects.c.name).where(projects.c.account_id == account_id))
    return dict(rows.all())
