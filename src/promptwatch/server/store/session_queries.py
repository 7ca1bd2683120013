"""Queries over sessions and their activities: the filtered list (projection only), one session's tree,
and deletion with its tombstone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, and_, exists, or_, select, text

from . import search
from .bodies import decode_body
from .tables.accounts import projects
from .tables.activities import activities, activity_bodies
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
    conditions = [sessions.c.account_id == account_id, *_conditions(conn, account_id, where)]
    if after is not None:
        value, pk = after
        beyond = column < value if descending else column > value
        tie = sessions.c.pk < pk if descending else sessions.c.pk > pk
        conditions.append(or_(beyond, and_(column == value, tie)))
    order = (column.desc(), sessions.c.pk.desc()) if descending else (column.asc(), sessions.c.pk.asc())
    query = query.where(*conditions).order_by(*order).limit(limit)
    return list(conn.execute(query).mappings())


def _conditions(conn: Connection, account_id: int, where: SessionFilter) -> list:
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
    if where.q:
        dialect = conn.dialect.name
        phrase = search.fts_phrase(where.q) if dialect == "sqlite" else where.q
        matching = text(search.matching_session_pks_sql(dialect)).bindparams(q=phrase, account=account_id)
        out.append(sessions.c.pk.in_(matching.columns(session_pk=sessions.c.pk.type)))
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


def session_activities(conn: Connection, session_pk: int, open_body: Callable[[bytes], bytes]) -> list[dict]:
    """Every activity of a session with its body (opened by `open_body`: decrypted if need be) merged in,
    in start order."""
    query = (
        select(activities, activity_bodies.c.body)
        .join(activity_bodies, activity_bodies.c.activity_pk == activities.c.pk)
        .where(activities.c.session_pk == session_pk)
        .order_by(activities.c.start_time, activities.c.position, activities.c.pk)
    )
    out = []
    for row in conn.execute(query).mappings():
        item = dict(row)
        item.update(decode_body(open_body(item.pop("body"))))
        out.append(item)
    return out
