"""The list of activities across sessions, newest first: LLM calls by model, template, outcome or tag, whichever
session they are in. Only light columns are read, never a body.

The list walks the account's time index (`ix_activities_account_start`) and tests each row against the
filters, so a page costs what it takes to find its rows: a filter that one activity in twenty meets reads about
twenty rows per row shown. Failed calls and thumbs are few, so they have partial indexes of their own
(`ix_activities_failed`, `ix_activities_feedback`), which SQLite's planner walks instead. A model, template,
tenant or project the account never used is answered from its own index without walking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, exists, or_, select

from .dialect import unindexed
from .tables.accounts import projects
from .tables.activities import activities
from .tables.sessions import sessions
from .tags import has_tag

FEEDBACK = {"up": 1, "down": 0}  # activities.feedback_label: 1 thumbs up, 0 thumbs down

LIST_COLUMNS = (
    activities.c.pk,
    activities.c.id,
    sessions.c.id.label("session_id"),
    activities.c.parent_activity_id,
    activities.c.activity_type,
    activities.c.name,
    activities.c.position,
    activities.c.start_time,
    activities.c.end_time,
    activities.c.error,
    activities.c.model,
    activities.c.provider,
    activities.c.template_name,
    activities.c.template_version,
    activities.c.prompt_tokens,
    activities.c.completion_tokens,
    activities.c.total_tokens,
    activities.c.tokens_counted,
    activities.c.cost,
    activities.c.price_version,
    activities.c.cache_namespace,
    activities.c.saved_cost,
    activities.c.ttft_ms,
    activities.c.feedback_label,
    activities.c.feedback_rating,
    activities.c.tags,
    projects.c.name.label("tracking_project"),
    sessions.c.tracking_tenant,
)


@dataclass
class ActivityFilter:
    project_id: int | None = None
    tenant: str | None = None
    activity_type: str | None = None
    model: str | None = None
    template: str | None = None
    has_error: bool | None = None
    feedback: str | None = None  # a key of FEEDBACK
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_activities(
    conn: Connection, account_id: int, where: ActivityFilter, limit: int, after: tuple[datetime, int] | None
) -> list[RowMapping]:
    """Newest first by start time, ties broken by pk; `after` is the (start time, pk) of the last row of the
    previous page."""
    if not _used(conn, account_id, where):
        return []
    query = (
        select(*LIST_COLUMNS)
        .join(sessions, sessions.c.pk == activities.c.session_pk)
        .outerjoin(projects, projects.c.id == sessions.c.project_id)
        .where(activities.c.account_id == account_id, *_conditions(where, conn.dialect.name))
    )
    if after is not None:  # written so that the index range starts at the cursor's time
        started, pk = after
        start = activities.c.start_time
        query = query.where(start <= started, or_(start < started, activities.c.pk < pk))
    query = query.order_by(activities.c.start_time.desc(), activities.c.pk.desc()).limit(limit)
    return list(conn.execute(query).mappings())


def _used(conn: Connection, account_id: int, where: ActivityFilter) -> bool:
    """False when the filter names a model, template, tenant or project the account has no activity or session
    of: their own indexes answer, where the walk would read every activity."""
    probes = [
        (activities, activities.c.model, where.model),
        (activities, activities.c.template_name, where.template),
        (sessions, sessions.c.tracking_tenant, where.tenant),
        (sessions, sessions.c.project_id, where.project_id),
    ]
    for table, column, value in probes:
        if value is not None:
            found = select(exists().where(table.c.account_id == account_id, column == value))
            if not conn.execute(found).scalar():
                return False
    return True


def _conditions(where: ActivityFilter, dialect: str) -> list:
    """The filters, written so that the time index drives SQLite's walk: reading the model's or template's index
    instead would sort all its rows for one page (PostgreSQL chooses from its statistics)."""
    out = []
    if where.project_id is not None:
        out.append(sessions.c.project_id == where.project_id)
    if where.tenant is not None:
        out.append(sessions.c.tracking_tenant == where.tenant)
    for column, value in (
        (activities.c.activity_type, where.activity_type),
        (activities.c.model, where.model),
        (activities.c.template_name, where.template),
    ):
        if value is not None:
            out.append((unindexed(column) if dialect == "sqlite" else column) == value)
    if where.has_error is not None:
        failed = activities.c.error.is_not(None)
        out.append(failed if where.has_error else ~failed)
    if where.feedback is not None:
        out.append(activities.c.feedback_label == FEEDBACK[where.feedback])
    if where.tag is not None:
        out.append(has_tag(activities.c.tags, where.tag, dialect))
    if where.since is not None:
        out.append(activities.c.start_time >= where.since)
    if where.until is not None:
        out.append(activities.c.start_time < where.until)
    return out
