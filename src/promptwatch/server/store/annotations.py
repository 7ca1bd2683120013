"""SQL of annotations: one current annotation per activity or session, mirrored into the activity's light
feedback columns so lists and filters see it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, select, update

from .dialect import insert_for
from .tables.activities import activities
from .tables.annotations import annotations
from .tables.sessions import sessions


def activity_pk(conn: Connection, account_id: int, activity_id: str) -> RowMapping | None:
    query = (
        select(activities.c.pk, activities.c.session_pk, sessions.c.project_id)
        .join(sessions, sessions.c.pk == activities.c.session_pk)
        .where(activities.c.account_id == account_id, activities.c.id == activity_id)
    )
    return conn.execute(query).mappings().first()


def session_pk(conn: Connection, account_id: int, session_id: str) -> RowMapping | None:
    query = select(sessions.c.pk, sessions.c.project_id).where(
        sessions.c.account_id == account_id, sessions.c.id == session_id
    )
    return conn.execute(query).mappings().first()


def upsert(conn: Connection, account_id: int, target: str, pk: int, values: dict, author, now: datetime) -> None:
    """Set the fields in `values` (of label, rating, notes); a stored annotation keeps the others, a new one
    has them null."""
    column = "activity_pk" if target == "activity" else "session_pk"
    stmt = insert_for(conn, annotations)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[column],
            set_={n: stmt.excluded[n] for n in (*values, "author", "updated_at")},
        ),
        {"account_id": account_id, column: pk, **values, "author": author, "created_at": now, "updated_at": now},
    )
    mirrored = {f"feedback_{n}": values[n] for n in ("label", "rating") if n in values}
    if target == "activity" and mirrored:
        conn.execute(update(activities).where(activities.c.pk == pk).values(mirrored))


def get(conn: Connection, target: str, pk: int) -> RowMapping | None:
    column = annotations.c.activity_pk if target == "activity" else annotations.c.session_pk
    query = select(annotations.c.label, annotations.c.rating, annotations.c.notes, annotations.c.updated_at)
    return conn.execute(query.where(column == pk)).mappings().first()
