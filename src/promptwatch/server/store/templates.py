"""Queries over prompt templates: lists, versions, label moves, and per-version executions and stats read
from the activities that recorded the version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, case, delete, extract, func, select, update

from .tables.activities import activities
from .tables.annotations import annotations
from .tables.sessions import sessions
from .tables.templates import prompt_label_moves, prompt_template_versions, prompt_templates
from .usage_queries import UNPRICED_CALL

_VERSION_COLUMNS = (
    prompt_template_versions.c.version,
    prompt_template_versions.c.given_version,
    prompt_template_versions.c.seq,
    prompt_template_versions.c.content_hash,
    prompt_template_versions.c.source,
    prompt_template_versions.c.created_at,
)

DELETED_TEMPLATE = "(deleted template)"  # what a deleted template's calls and their roll-ups are labelled


def template_pk(conn: Connection, account_id: int, name: str) -> int | None:
    return conn.execute(
        select(prompt_templates.c.pk).where(
            prompt_templates.c.account_id == account_id, prompt_templates.c.name == name
        )
    ).scalar()


def list_templates(conn: Connection, account_id: int, limit: int, offset: int) -> list[RowMapping]:
    counts = (
        select(
            prompt_template_versions.c.template_pk,
            func.count().label("versions"),
            func.max(prompt_template_versions.c.created_at).label("last_version_at"),
        )
        .where(prompt_template_versions.c.account_id == account_id)
        .group_by(prompt_template_versions.c.template_pk)
        .subquery()
    )
    query = (
        select(
            prompt_templates.c.pk,
            prompt_templates.c.name,
            prompt_templates.c.created_at,
            counts.c.versions,
            counts.c.last_version_at,
        )
        .outerjoin(counts, counts.c.template_pk == prompt_templates.c.pk)
        .where(prompt_templates.c.account_id == account_id)
        .order_by(prompt_templates.c.name)
        .limit(limit)
        .offset(offset)
    )
    return list(conn.execute(query).mappings())


def versions(conn: Connection, pk: int) -> list[RowMapping]:
    query = (
        select(*_VERSION_COLUMNS)
        .where(prompt_template_versions.c.template_pk == pk)
        .order_by(prompt_template_versions.c.created_at, prompt_template_versions.c.pk)
    )
    return list(conn.execute(query).mappings())


def version(conn: Connection, pk: int, name: str) -> RowMapping | None:
    """The version called `name`, else the first one stored under `name` as the version given (`1.0` names
    `1.0.0`, the first content given as `1.0`); its `version` is the stored name."""
    table = prompt_template_versions
    query = (
        select(*_VERSION_COLUMNS, table.c.content)
        .where(table.c.template_pk == pk, (table.c.version == name) | (table.c.given_version == name))
        .order_by(case((table.c.version == name, 0), else_=1), table.c.seq)
        .limit(1)
    )
    return conn.execute(query).mappings().first()


def move_label(conn: Connection, account_id: int, pk: int, label: str, version_name: str, now: datetime) -> None:
    conn.execute(
        prompt_label_moves.insert(),
        {"account_id": account_id, "template_pk": pk, "label": label, "version": version_name, "moved_at": now},
    )


def label_history(conn: Connection, pk: int, label: str | None = None) -> list[RowMapping]:
    """Moves newest first."""
    query = select(prompt_label_moves.c.label, prompt_label_moves.c.version, prompt_label_moves.c.moved_at).where(
        prompt_label_moves.c.template_pk == pk
    )
    if label is not None:
        query = query.where(prompt_label_moves.c.label == label)
    return list(conn.execute(query.order_by(prompt_label_moves.c.pk.desc())).mappings())


def template_names(conn: Connection, account_id: int) -> list[str]:
    return list(
        conn.execute(select(prompt_templates.c.name).where(prompt_templates.c.account_id == account_id)).scalars()
    )


def labels_at(conn: Connection, pk: int, version_name: str) -> list[str]:
    """The labels whose latest move points at the version."""
    current: dict[str, str] = {}
    for move in label_history(conn, pk):
        current.setdefault(move["label"], move["version"])
    return sorted(label for label, target in current.items() if target == version_name)


def _unlink_executions(conn: Connection, account_id: int, name: str, version_name: str | None = None) -> int:
    """The LLM calls stay; only their link to the template is cleared: the version column, and, for the whole
    template, its name, which reads DELETED_TEMPLATE as the calls' hourly roll-ups do (so that a later take-back
    of a call, say at a session's deletion, finds the roll-up row that counts it)."""
    where = [activities.c.account_id == account_id, activities.c.template_name == name]
    unlinked = {"template_version": None}
    if version_name is None:
        unlinked["template_name"] = DELETED_TEMPLATE
    else:
        where.append(activities.c.template_version == version_name)
    return conn.execute(update(activities).where(*where).values(**unlinked)).rowcount


def delete_template(conn: Connection, account_id: int, name: str) -> dict[str, int]:
    """The template with its versions and label moves; its executions are unlinked, not deleted."""
    pk = template_pk(conn, account_id, name)
    if pk is None:
        return {"templates": 0, "versions": 0, "label_moves": 0, "executions_unlinked": 0}
    moves = conn.execute(delete(prompt_label_moves).where(prompt_label_moves.c.template_pk == pk)).rowcount
    versions_removed = conn.execute(
        delete(prompt_template_versions).where(prompt_template_versions.c.template_pk == pk)
    ).rowcount
    conn.execute(delete(prompt_templates).where(prompt_templates.c.pk == pk))
    unlinked = _unlink_executions(conn, account_id, name)
    return {"templates": 1, "versions": versions_removed, "label_moves": moves, "executions_unlinked": unlinked}


def delete_version(conn: Connection, account_id: int, name: str, version_name: str) -> dict[str, int]:
    """One version; the labels pointing at it go with their history, other labels forget their moves to it."""
    pk = template_pk(conn, account_id, name)
    if pk is None:
        return {"versions": 0, "label_moves": 0, "executions_unlinked": 0}
    moves = prompt_label_moves.c
    doomed = labels_at(conn, pk, version_name)
    removed_moves = conn.execute(
        delete(prompt_label_moves).where(
            moves.template_pk == pk, (moves.version == version_name) | moves.label.in_(doomed)
        )
    ).rowcount
    removed = conn.execute(
        delete(prompt_template_versions).where(
            prompt_template_versions.c.template_pk == pk, prompt_template_versions.c.version == version_name
        )
    ).rowcount
    unlinked = _unlink_executions(conn, account_id, name, version_name)
    return {"versions": removed, "labels": len(doomed), "label_moves": removed_moves, "executions_unlinked": unlinked}


def _latency_ms(conn: Connection):
    start, end = activities.c.start_time, activities.c.end_time
    if conn.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86_400_000.0
    return extract("epoch", end - start) * 1000.0


def version_stats(conn: Connection, account_id: int, name: str, project_id: int | None) -> list[RowMapping]:
    """Per version: calls, errors, cost, the calls left out of it for want of a price, tokens, mean latency of
    closed calls, annotation count and mean label (an annotation wins over the label sent with the activity),
    mean rating. Of the calls of one project when `project_id` is given."""
    label = func.coalesce(annotations.c.label, activities.c.feedback_label)
    rating = func.coalesce(annotations.c.rating, activities.c.feedback_rating)
    query = (
        select(
            activities.c.template_version.label("version"),
            func.count().label("calls"),
            func.sum(case((activities.c.error.is_not(None), 1), else_=0)).label("errors"),
            func.coalesce(func.sum(activities.c.cost), 0.0).label("cost"),
            func.sum(case((UNPRICED_CALL, 1), else_=0)).label("unpriced_calls"),
            func.coalesce(func.sum(activities.c.total_tokens), 0).label("total_tokens"),
            func.avg(_latency_ms(conn)).label("latency_ms_mean"),
            func.count(label).label("annotated"),
            func.avg(label * 1.0).label("annotation_score"),
            func.avg(rating * 1.0).label("rating_mean"),
        )
        .outerjoin(annotations, annotations.c.activity_pk == activities.c.pk)
        .where(
            activities.c.account_id == account_id,
            activities.c.template_name == name,
            activities.c.activity_type == "llm-prompt",
        )
        .group_by(activities.c.template_version)
    )
    if project_id is not None:
        query = query.join(sessions, sessions.c.pk == activities.c.session_pk).where(
            sessions.c.project_id == project_id
        )
    return list(conn.execute(query).mappings())


def executions(
    conn: Connection,
    account_id: int,
    name: str,
    version_name: str,
    project_id: int | None,
    limit: int,
    before: tuple[datetime, int] | None,
) -> list[RowMapping]:
    """Newest first by start time, then by storage order; `before` is the (start time, pk) of the last call of
    the page read before. Of the calls of one project when `project_id` is given."""
    label = func.coalesce(annotations.c.label, activities.c.feedback_label)
    query = (
        select(
            activities.c.pk,
            activities.c.id,
            sessions.c.id.label("session_id"),
            activities.c.start_time,
            activities.c.end_time,
            activities.c.model,
            activities.c.error,
            activities.c.cost,
            activities.c.total_tokens,
            label.label("feedback_label"),
        )
        .join(sessions, sessions.c.pk == activities.c.session_pk)
        .outerjoin(annotations, annotations.c.activity_pk == activities.c.pk)
        .where(
            activities.c.account_id == account_id,
            activities.c.template_name == name,
            activities.c.template_version == version_name,
        )
        .order_by(activities.c.start_time.desc(), activities.c.pk.desc())
        .limit(limit)
    )
    if project_id is not None:
        query = query.where(sessions.c.project_id == project_id)
    if before is not None:
        start, pk = before
        query = query.where(
            activities.c.start_time <= start, (activities.c.start_time < start) | (activities.c.pk < pk)
        )
    return list(conn.execute(query).mappings())
