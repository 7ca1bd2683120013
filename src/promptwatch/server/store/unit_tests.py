"""SQL of unit-test runs and results, and of the annotated examples that become test cases."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, RowMapping, delete, func, select

from .bodies import decode_body
from .dialect import insert_for
from .tables.accounts import projects
from .tables.activities import activities, activity_bodies
from .tables.annotations import annotations
from .tables.sessions import sessions
from .tables.unit_tests import test_results, test_runs

_RUN_UPDATABLE = (
    "test_name",
    "session_id",
    "evaluation_method",
    "start_time",
    "end_time",
    "conditions",
    "overall_score",
    "total_processed",
    "passed",
    "failed",
    "extra",
    "updated_at",
)


def upsert_run(conn: Connection, row: dict) -> int:
    stmt = insert_for(conn, test_runs)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["account_id", "run_id"], set_={n: stmt.excluded[n] for n in _RUN_UPDATABLE}
        ),
        row,
    )
    return conn.execute(
        select(test_runs.c.pk).where(test_runs.c.account_id == row["account_id"], test_runs.c.run_id == row["run_id"])
    ).scalar_one()


def run_pk(conn: Connection, account_id: int, run_id: str) -> int | None:
    return conn.execute(
        select(test_runs.c.pk).where(test_runs.c.account_id == account_id, test_runs.c.run_id == run_id)
    ).scalar()


def has_results(conn: Connection, account_id: int, run_id: str) -> bool:
    query = (
        select(test_results.c.pk)
        .join(test_runs, test_runs.c.pk == test_results.c.run_pk)
        .where(test_runs.c.account_id == account_id, test_runs.c.run_id == run_id)
        .limit(1)
    )
    return conn.execute(query).first() is not None


def upsert_results(conn: Connection, rows: list[dict]) -> None:
    if not rows:
        return
    stmt = insert_for(conn, test_results)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["run_pk", "position"],
            set_={n: stmt.excluded[n] for n in ("passed", "score", "body")},
        ),
        rows,
    )


def list_runs(conn: Connection, account_id: int, test_name: str | None, limit: int) -> list[RowMapping]:
    query = select(test_runs).where(test_runs.c.account_id == account_id)
    if test_name is not None:
        query = query.where(test_runs.c.test_name == test_name)
    return list(conn.execute(query.order_by(test_runs.c.pk.desc()).limit(limit)).mappings())


def get_run(conn: Connection, account_id: int, run_id: str) -> RowMapping | None:
    return (
        conn.execute(select(test_runs).where(test_runs.c.account_id == account_id, test_runs.c.run_id == run_id))
        .mappings()
        .first()
    )


def run_results(conn: Connection, pk: int) -> list[RowMapping]:
    query = select(test_results).where(test_results.c.run_pk == pk).order_by(test_results.c.position)
    return list(conn.execute(query).mappings())


def test_names(conn: Connection, account_id: int) -> list[str]:
    query = select(test_runs.c.test_name).where(test_runs.c.account_id == account_id).distinct()
    return list(conn.execute(query).scalars())


def delete_runs(conn: Connection, account_id: int, run_ids: list[str] | None = None, test_name: str | None = None):
    """Runs (by id, or every run of a test) with their results; returns counts."""
    query = select(test_runs.c.pk).where(test_runs.c.account_id == account_id)
    if run_ids is not None:
        query = query.where(test_runs.c.run_id.in_(run_ids))
    if test_name is not None:
        query = query.where(test_runs.c.test_name == test_name)
    results = conn.execute(delete(test_results).where(test_results.c.run_pk.in_(query))).rowcount
    runs = conn.execute(delete(test_runs).where(test_runs.c.pk.in_(query))).rowcount
    return {"test_runs": runs, "test_results": results}


def annotated_activities(
    conn: Connection,
    account_id: int,
    template_name: str | None,
    project: str | None,
    offset: int,
    limit: int,
    open_body: Callable[[bytes], bytes],
) -> list[dict]:
    """Annotated examples, oldest first: LLM calls of a template, or the root chains of a project's sessions
    (a session's own annotation counts for its root chain). The annotation table wins over the label the
    client sent with the activity."""
    session_note = annotations.alias("session_note")
    if template_name is not None:
        label = func.coalesce(annotations.c.label, activities.c.feedback_label)
    else:
        label = func.coalesce(annotations.c.label, session_note.c.label, activities.c.feedback_label)
    query = (
        select(
            activities.c.id,
            activities.c.template_name,
            activity_bodies.c.body,
            label.label("label"),
            projects.c.name.label("project"),
        )
        .join(activity_bodies, activity_bodies.c.activity_pk == activities.c.pk)
        .join(sessions, sessions.c.pk == activities.c.session_pk)
        .outerjoin(projects, projects.c.id == sessions.c.project_id)
        .outerjoin(annotations, annotations.c.activity_pk == activities.c.pk)
        .outerjoin(session_note, session_note.c.session_pk == sessions.c.pk)
        .where(activities.c.account_id == account_id, label.in_((0, 1)))
    )
    if template_name is not None:
        query = query.where(activities.c.activity_type == "llm-prompt", activities.c.template_name == template_name)
    else:
        query = query.where(activities.c.activity_type == "chain-sequence", activities.c.parent_activity_id.is_(None))
    if project is not None:
        query = query.where(projects.c.name == project)
    query = query.order_by(activities.c.pk).offset(offset).limit(limit)
    out = []
    for row in conn.execute(query).mappings():
        item = dict(row)
        item["body"] = decode_body(open_body(item["body"]))
        out.append(item)
    return out
