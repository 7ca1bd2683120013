"""One session's activities in start order: all of them or a page at a time, with their bodies or without;
and one activity by its id, read the same way.

The order is (start time, position with the unnumbered first, pk), the same on SQLite and PostgreSQL. A page
starts after the `ActivityKey` of the last activity of the page before it (keyset paging), so every page
costs about the same wherever it is in the session, and activities that start at the same moment are neither
repeated nor skipped between pages.

The tree is given by each activity's `parent_activity_id`, stored as sent: a parent may not be there (yet), and
parent cycles across batches cannot be refused without reading stored chains at ingest. Every reader that
walks the tree (`activity_tree` here, the web UI's `tree.js`) shows an activity whose parent is not in the
session as a root, and cuts a cycle at its member that comes first in this order, which becomes a root."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, and_, or_, select

from .bodies import decode_body
from .tables.accounts import projects
from .tables.activities import activities, activity_bodies
from .tables.sessions import sessions


class ActivityKey(NamedTuple):
    """An activity's place in its session's order."""

    start_time: datetime
    position: int | None
    pk: int


def key_of(activity: dict) -> ActivityKey:
    """The key of an activity as `session_activities` returns it."""
    return ActivityKey(activity["start_time"], activity["position"], activity["pk"])


def session_activities(
    conn: Connection,
    session_pk: int,
    open_body: Callable[[bytes], bytes],
    *,
    after: ActivityKey | None = None,
    limit: int | None = None,
    bodies: bool = True,
) -> list[dict]:
    """The session's activities in order: every one, or the first `limit` after `after`. Each is a dict of
    the `activities` columns with, when `bodies` is true, its body (opened by `open_body`: decrypted if need
    be) merged in; without, no body is read."""
    light = (
        select(activities)
        .where(activities.c.session_pk == session_pk, *_after(after))
        .order_by(*_order(activities.c))
        .limit(limit)
    )
    if not bodies:
        return [dict(row) for row in conn.execute(light).mappings()]
    # the page is chosen first, then only its bodies are read (a join under the LIMIT may read them all)
    page = light.subquery() if limit is not None else activities
    query = select(page, activity_bodies.c.body).join(activity_bodies, activity_bodies.c.activity_pk == page.c.pk)
    if limit is None:
        query = query.where(activities.c.session_pk == session_pk, *_after(after))
    return [_opened(row, open_body) for row in conn.execute(query.order_by(*_order(page.c))).mappings()]


def activity(conn: Connection, account_id: int, activity_id: str, open_body: Callable[[bytes], bytes]) -> dict | None:
    """The account's activity `activity_id` as `session_activities` returns it, with its session's id
    (`session_id`) and project (`project_id`, `tracking_project`); None when the account has no such activity."""
    query = (
        select(
            activities,
            activity_bodies.c.body,
            sessions.c.id.label("session_id"),
            sessions.c.project_id,
            projects.c.name.label("tracking_project"),
        )
        .join(activity_bodies, activity_bodies.c.activity_pk == activities.c.pk)
        .join(sessions, sessions.c.pk == activities.c.session_pk)
        .outerjoin(projects, projects.c.id == sessions.c.project_id)
        .where(activities.c.account_id == account_id, activities.c.id == activity_id)
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    item = _opened(row, open_body)  # a body may hold any key (the published client's unknown fields kept)...
    item.update({label: row[label] for label in ("session_id", "project_id", "tracking_project")})  # ...not these
    return item


def _opened(row: Mapping, open_body: Callable[[bytes], bytes]) -> dict:
    """The row with its `body` opened (decrypted if need be) and its fields merged in."""
    item = dict(row)
    item.update(decode_body(open_body(item.pop("body"))))
    return item


def activity_tree(conn: Connection, session_pk: int) -> dict[str | None, list[dict]]:
    """The session's tree as it is shown: for each activity id, and None for the top level, the activities
    under it in order, each as `{"pk", "id"}`."""
    query = select(activities.c.pk, activities.c.id, activities.c.parent_activity_id).where(
        activities.c.session_pk == session_pk
    )
    rows = conn.execute(query.order_by(*_order(activities.c))).mappings().all()
    parents = shown_parents(rows)
    children: dict[str | None, list[dict]] = {}
    for row in rows:
        children.setdefault(parents[row["id"]], []).append({"pk": row["pk"], "id": row["id"]})
    return children


def shown_parents(rows: Iterable[Mapping]) -> dict[str, str | None]:
    """Each activity's parent as the tree shows it, for one session's `rows` (`id`, `parent_activity_id`) in
    order: None for a root, that is an activity whose parent is not among them or the first member in order
    of a parent cycle. Each activity is walked up once."""
    sent = {row["id"]: row["parent_activity_id"] for row in rows}
    place = {aid: n for n, aid in enumerate(sent)}
    shown = {aid: parent if parent in sent else None for aid, parent in sent.items()}
    settled: set[str] = set()  # activities known to lead up to a root
    for start in shown:
        path: dict[str, None] = {}  # the walk up from `start`, in order
        aid = start
        while aid is not None and aid not in settled and aid not in path:
            path[aid] = None
            aid = shown[aid]
        if aid in path:  # the walk came back to `aid`: the cycle is the path from there
            walked = list(path)
            shown[min(walked[walked.index(aid) :], key=place.__getitem__)] = None
        settled.update(path)
    return shown


def _order(columns) -> tuple:
    return columns.start_time, columns.position.asc().nulls_first(), columns.pk


def _after(key: ActivityKey | None) -> list:
    """The activities after `key`; `start_time >= ...` on its own, so that the index range starts there."""
    if key is None:
        return []
    c = activities.c
    if key.position is None:
        later, same = c.position.is_not(None), c.position.is_(None)
    else:
        later, same = c.position > key.position, c.position == key.position
    return [
        c.start_time >= key.start_time,
        or_(c.start_time > key.start_time, later, and_(same, c.pk > key.pk)),
    ]
