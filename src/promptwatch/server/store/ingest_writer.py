"""Writing one batch of sessions and activities for one account in one transaction.

The rules (DESIGN.md): everything is an upsert by `(account_id, id)`; a re-sent copy never replaces a
closed or newer version; tombstoned ids are refused; session totals and the hourly usage roll-ups change
by deltas, so a retried batch changes nothing.

Lock order on PostgreSQL, where several transactions write at once: each batch locks its sessions (sorted by
id), then its activities; the roll-ups come last, once per transaction (`rollups.Rollups`), so that every
transaction locks roll-up rows after all its other rows, and in one order. Deletions take them in that order too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, bindparam, case, func, select, update

from . import bulk, search
from .dialect import in_list, insert_for, list_value
from .rollups import USAGE_TYPES, Rollups
from .tables.accounts import projects
from .tables.activities import activities, activity_bodies
from .tables.annotations import annotations
from .tables.sessions import sessions
from .template_versions import assign_template_versions
from .tombstones import deleted_ids, refuse_deleted_meanwhile
from .types import UtcDateTime

STORED, UNCHANGED, DELETED = "stored", "unchanged", "deleted"
# refused: a session outside the caller's project; an activity id that another session's activity holds
OTHER_PROJECT, OTHER_SESSION = "other_project", "other_session"

# light columns copied from an activity record into the `activities` table
ACTIVITY_COLUMNS = (
    "parent_activity_id",
    "activity_type",
    "name",
    "position",
    "start_time",
    "end_time",
    "error",
    "model",
    "provider",
    "template_name",
    "template_version",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "tokens_counted",
    "cost",
    "price_version",
    "cache_namespace",
    "saved_cost",
    "ttft_ms",
    "feedback_label",
    "feedback_rating",
    "tags",
)
_TOTALS = ("prompt_tokens", "completion_tokens", "total_tokens", "cost")


def _supersedes(new: dict, old_end: datetime | None) -> bool:
    """A copy replaces the stored version while that is open, or when it closes it later."""
    if old_end is None:
        return True
    return new["end_time"] is not None and new["end_time"] > old_end


def _best_copies(records: Sequence[dict]) -> dict[str, dict]:
    best: dict[str, dict] = {}
    for record in records:
        held = best.get(record["id"])
        if held is None or _supersedes(record, held["end_time"]):
            best[record["id"]] = record
    return best


def write_batch(
    conn: Connection,
    account_id: int,
    session_records: Sequence[dict],
    activity_records: Sequence[dict],
    now: datetime,
    project: str | None = None,
    rollups: Rollups | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Store a batch; returns the status of every session id and activity id given. `project` is the project a
    caller's key is limited to: its sessions are created in it, and a stored session of any other project (or
    of none) is refused with its activities (OTHER_PROJECT), so that such a key never writes outside it.
    `rollups`: where the transaction gathers its roll-up changes, to write them at its end; without it, the
    batch writes its own before it returns."""
    if rollups is not None:
        return _write_batch(conn, account_id, session_records, activity_records, now, project, rollups)
    rollups = Rollups()
    statuses = _write_batch(conn, account_id, session_records, activity_records, now, project, rollups)
    rollups.write(conn)
    return statuses


def _write_batch(conn, account_id, session_records, activity_records, now, project, rollups: Rollups):
    session_status: dict[str, str] = {}
    activity_status: dict[str, str] = {}
    wanted_sessions = {r["id"] for r in session_records} | {r["session_id"] for r in activity_records}
    dead_sessions = deleted_ids(conn, account_id, "session", wanted_sessions)
    dead_activities = deleted_ids(conn, account_id, "activity", {r["id"] for r in activity_records})
    for sid in dead_sessions:
        session_status[sid] = DELETED
    stored = _stored_sessions_of(
        conn, account_id, wanted_sessions if project else {r["id"] for r in session_records if _places(r)}
    )
    foreign = _outside(conn, account_id, project, stored, now) if project else set()
    for sid in foreign:
        session_status[sid] = OTHER_PROJECT
    held_by = _sessions_holding(conn, account_id, {r["id"] for r in activity_records})
    live_activities = []
    for record in activity_records:
        if record["session_id"] in dead_sessions or record["id"] in dead_activities:
            activity_status[record["id"]] = DELETED
        elif record["session_id"] in foreign:
            activity_status[record["id"]] = OTHER_PROJECT
        elif held_by.get(record["id"], record["session_id"]) != record["session_id"]:
            activity_status[record["id"]] = OTHER_SESSION  # before its session is written: none is made for it
        else:
            live_activities.append(record)
    refused = dead_sessions | foreign
    session_rows = _session_rows(conn, account_id, session_records, live_activities, refused, project, now)
    if not session_rows:
        return session_status, activity_status
    moved = [stored[row["id"]][0] for row in session_rows if row["id"] in stored and _moves(row, stored[row["id"]])]
    if moved:  # their calls leave the roll-ups of the project and tenant they were counted under
        rollups.add(account_id, llm_contributions(conn, activities.c.session_pk.in_(moved)), sign=-1)
    session_info = _upsert_sessions(conn, session_rows)
    if moved:  # ... and join those of the ones they are in now
        rollups.add(account_id, llm_contributions(conn, activities.c.session_pk.in_(moved)))
    for record in session_records:
        session_status.setdefault(record["id"], STORED)
    assign_template_versions(conn, account_id, live_activities, now)  # versions in this transaction
    records = _best_copies(live_activities)
    activity_status.update(_write_activities(conn, account_id, records, session_info, now, rollups))
    if conn.dialect.name == "postgresql":  # SQLite's one writer reads the tombstones after any deletion committed
        refuse_deleted_meanwhile(conn, account_id, {row["id"] for row in session_rows}, set(records))
    return session_status, activity_status


def _sessions_holding(conn: Connection, account_id: int, activity_ids: set[str]) -> dict[str, str]:
    """{activity id: id of its session} of those of these activities that are stored."""
    if not activity_ids:
        return {}
    dialect = conn.dialect.name
    params = {"account": account_id, "ids": list_value(dialect, activity_ids)}
    return dict(conn.execute(_holding_sessions(dialect), params).all())


@cache
def _holding_sessions(dialect: str):
    return (
        select(activities.c.id, sessions.c.id)
        .join_from(activities, sessions, sessions.c.pk == activities.c.session_pk)
        .where(activities.c.account_id == bindparam("account"), in_list(activities.c.id, "ids", dialect))
    )


def _places(record: dict) -> bool:
    """Whether a session record names a project or a tenant: only then may it move a stored session."""
    return record.get("project") is not None or record.get("tracking_tenant") is not None


def _stored_sessions_of(conn: Connection, account_id: int, session_ids: set[str]) -> dict[str, tuple]:
    """{id: (pk, project id, tenant)} of those of these sessions that are stored."""
    if not session_ids:
        return {}
    dialect = conn.dialect.name
    params = {"account": account_id, "ids": list_value(dialect, session_ids)}
    rows = conn.execute(_stored_sessions(dialect), params)
    return {sid: (pk, project_id, tenant) for sid, pk, project_id, tenant in rows}


def _outside(conn: Connection, account_id: int, project: str, stored: dict[str, tuple], now: datetime) -> set[str]:
    """The ids of the stored sessions that are not in `project`."""
    if not stored:
        return set()
    project_id = _project_ids(conn, account_id, {project}, now)[project]
    return {sid for sid, (_pk, stored_in, _tenant) in stored.items() if stored_in != project_id}


def _moves(row: dict, stored: tuple) -> bool:
    """Whether upserting `row` changes the stored session's project or tenant (a value left out keeps it)."""
    _pk, project_id, tenant = stored
    new_project = row["project_id"] if row["project_id"] is not None else project_id
    new_tenant = row["tracking_tenant"] if row["tracking_tenant"] is not None else tenant
    return (new_project, new_tenant) != (project_id, tenant)


def llm_contributions(conn: Connection, where) -> list[tuple[dict, tuple]]:
    """What the closed calls (`USAGE_TYPES`) matching `where` add to the roll-ups: (activity row, (session pk,
    project id, tenant)), as `Rollups.add` takes them."""
    query = (
        select(activities, sessions.c.project_id, sessions.c.tracking_tenant)
        .join(sessions, sessions.c.pk == activities.c.session_pk)
        .where(where, activities.c.activity_type.in_(USAGE_TYPES), activities.c.end_time.is_not(None))
    )
    return [(dict(r), (r["session_pk"], r["project_id"], r["tracking_tenant"])) for r in conn.execute(query).mappings()]


def _project_ids(conn: Connection, account_id: int, names: set[str], now: datetime) -> dict[str, int]:
    """The ids of these projects, created on first use."""
    if not names:
        return {}
    dialect = conn.dialect.name
    lookup = _project_lookup(dialect)
    found = dict(conn.execute(lookup, {"account": account_id, "names": list_value(dialect, names)}).all())
    if len(found) < len(names):
        conn.execute(
            insert_for(dialect, projects).on_conflict_do_nothing(),
            [{"account_id": account_id, "name": n, "created_at": now} for n in sorted(names - found.keys())],
        )
        found = dict(conn.execute(lookup, {"account": account_id, "names": list_value(dialect, names)}).all())
    return found


@cache
def _project_lookup(dialect: str):
    return select(projects.c.name, projects.c.id).where(
        projects.c.account_id == bindparam("account"), in_list(projects.c.name, "names", dialect)
    )


def _session_rows(conn, account_id, session_records, activity_records, refused, project, now) -> list[dict]:
    """The session rows to upsert: the records given, and a row for each other session an activity names (in
    `project`, when the caller is limited to one)."""
    earliest: dict[str, datetime] = {}
    for record in activity_records:
        sid, start = record["session_id"], record["start_time"]
        if sid not in earliest or start < earliest[sid]:
            earliest[sid] = start
    explicit = {r["id"]: r for r in session_records if r["id"] not in refused}
    named = {r["project"] for r in explicit.values() if r.get("project")} | ({project} if project else set())
    project_ids = _project_ids(conn, account_id, named, now)
    rows = []
    for sid in sorted(set(explicit) | set(earliest)):
        record = explicit.get(sid, {})
        given = [t for t in (record.get("start_time"), earliest.get(sid)) if t is not None]
        start = min(given) if given else None  # the start this batch gives: sent, or its earliest activity's
        end = record.get("end_time")
        if start is None and end is None:
            start = now  # a new session starts when it arrives; a stored one keeps its start
        elif start is not None and end is not None and end < start:
            end = start  # an end before the start is the start: no duration is negative
        rows.append(
            {
                "account_id": account_id,
                "id": sid,
                "project_id": project_ids.get(record.get("project") or project),
                "tracking_tenant": record.get("tracking_tenant"),
                "session_name": record.get("session_name"),
                "start_time": start,
                "end_time": end,
                "is_error": bool(record.get("is_error")),
                "steps_count": record.get("steps_count"),
                "tags": record.get("tags"),
                "metadata": record.get("metadata"),
                "source": record.get("source", "native"),
                "updated_at": now,
                **_NEW_SESSION_TOTALS,  # a new session's; an upsert of a stored one leaves them as they are
            }
        )
    if any(row["start_time"] is None for row in rows):
        return [_start_from_store(row) for row in rows]
    return rows


def _start_from_store(row: dict) -> dict:
    """The row as `_session_upsert(..., start_from_store=True)` takes it. A session given an end and no start
    keeps the start it has stored, and its end is clamped to that start (an end sent earlier is the start, as
    an end before the start always is); new, it starts at that end, or when it arrives if that end is later."""
    given = row["start_time"]
    first = given if given is not None else min(row["end_time"], row["updated_at"])
    return {**row, "start_time": first, "given_start": given, "of_account": row["account_id"], "of_id": row["id"]}


_NEW_SESSION_TOTALS = {"activity_count": 0, "llm_calls": 0, **dict.fromkeys(_TOTALS, 0)}


def _upsert_sessions(conn: Connection, rows: list[dict]) -> dict[str, tuple]:
    """Upsert the rows; returns {id: (pk, project id, tenant)} as stored. PostgreSQL upserts in one statement
    that returns them. On SQLite, SQLAlchemy renders such a statement with every row's values in its text and
    binds each row through its type processors, which cost more than the upsert itself: the rows go through
    `bulk.execute_many`, and one lookup by id reads what they stored."""
    dialect = conn.dialect.name
    start_from_store = "given_start" in rows[0]
    if dialect != "postgresql":
        bulk.execute_many(conn, _session_upsert(dialect, False, start_from_store), rows)
        return _stored_sessions_of(conn, rows[0]["account_id"], {row["id"] for row in rows})
    stored = conn.execute(_session_upsert(dialect, True, start_from_store), rows)
    return {sid: (pk, project_id, tenant) for sid, pk, project_id, tenant in stored}


@cache
def _stored_sessions(dialect: str):
    table = sessions.c
    return select(table.id, table.pk, table.project_id, table.tracking_tenant).where(
        table.account_id == bindparam("account"), in_list(table.id, "ids", dialect)
    )


@cache
def _session_upsert(dialect: str, returning: bool, start_from_store: bool = False):
    """The statement is built once per dialect: building an upsert costs more than binding a batch to it. A
    stored session's start moves only earlier, and its end is never before its start. `start_from_store`: for
    a batch with a session given an end and no start (`_start_from_store`), whose proposed start is the stored
    session's, read in this statement; only such batches pay for that read."""
    stmt = insert_for(dialect, sessions)
    if start_from_store:
        stored = sessions.alias("stored")
        stored_start = (
            select(stored.c.start_time)
            .where(stored.c.account_id == bindparam("of_account"), stored.c.id == bindparam("of_id"))
            .scalar_subquery()
        )
        given = bindparam("given_start", type_=UtcDateTime())
        stmt = stmt.values(start_time=func.coalesce(given, stored_start, bindparam("start_time", type_=UtcDateTime())))
    new, table = stmt.excluded, sessions.c
    keep = {
        name: func.coalesce(getattr(new, name), getattr(table, name))
        for name in ("project_id", "tracking_tenant", "session_name", "steps_count", "tags", "metadata")
    }
    start = case((new.start_time < table.start_time, new.start_time), else_=table.start_time)
    end = func.coalesce(new.end_time, table.end_time)
    upsert = stmt.on_conflict_do_update(
        index_elements=["account_id", "id"],
        set_={
            **keep,
            "start_time": start,
            "end_time": case((end < start, start), else_=end),
            "is_error": table.is_error | new.is_error,
            "updated_at": new.updated_at,
        },
    )
    return upsert.returning(table.id, table.pk, table.project_id, table.tracking_tenant) if returning else upsert


def _write_activities(conn, account_id, records: dict[str, dict], session_info, now, rollups) -> dict[str, str]:
    """New ids are inserted at once, in the order they arrived (their pks keep it); only the ids already
    stored are read back (locked, on PostgreSQL, so that another worker's copy waits) to decide whether the
    copy supersedes them. Two workers inserting the same new ids in other orders can deadlock on PostgreSQL;
    the batch writer then writes the losing job again."""
    if not records:
        return {}
    status: dict[str, str] = {}
    ordered = list(records.values())  # pks follow the order items arrived in
    rows = [_activity_row(account_id, session_info[r["session_id"]][0], r, now) for r in ordered]
    pks = _insert_new(conn, rows)
    inserts = [r for r in ordered if r["id"] in pks]
    updates = []
    for old, record in _stored_versions(conn, account_id, [r for r in ordered if r["id"] not in pks]):
        if old is not None and old.session_pk != session_info[record["session_id"]][0]:
            status[record["id"]] = OTHER_SESSION  # stored meanwhile by a concurrent writer (PostgreSQL)
        elif old is not None and _supersedes(record, old.end_time):
            updates.append((old, record))
        else:  # an older copy, or the row went away meanwhile
            status[record["id"]] = UNCHANGED
    deltas: dict[int, dict] = defaultdict(_new_delta)
    usage_rows: list[tuple[dict, tuple]] = []
    if inserts:
        bulk.execute_many(
            conn,
            _BODY_INSERT,
            [{"activity_pk": pks[r["id"]], "account_id": account_id, "body": r["body_blob"]} for r in inserts],
        )
        search.index(conn, [(pks[r["id"]], account_id, r["search_text"]) for r in inserts])
        for record in inserts:
            status[record["id"]] = STORED
            _add_delta(deltas[session_info[record["session_id"]][0]], record, None)
            if record["end_time"] is not None:
                usage_rows.append((record, session_info[record["session_id"]]))
    if updates:
        closed = [old.pk for old, _ in updates if old.end_time is not None]
        if closed:  # a closed call superseded: the roll-ups take back what they counted of it, then count the copy
            rollups.add(account_id, llm_contributions(conn, activities.c.pk.in_(closed)), sign=-1)
        _update_activities(conn, account_id, updates, now)
        for old, record in updates:
            status[record["id"]] = STORED
            _add_delta(deltas[old.session_pk], record, old)
            if record["end_time"] is not None:
                usage_rows.append((record, session_info[record["session_id"]]))
    _apply_session_deltas(conn, deltas, now)
    rollups.add(account_id, usage_rows)
    return status


@cache
def _annotations_kept(dialect: str):
    """A re-sent copy carries the client's feedback; where an annotation was given since, its label and rating
    stay in the feedback columns, as every reader of those columns expects (an annotation wins)."""
    given = select(annotations.c.label, annotations.c.rating).where(annotations.c.activity_pk == activities.c.pk)
    return (
        update(activities)
        .where(in_list(activities.c.pk, "pks", dialect), given.exists())
        .values(
            feedback_label=func.coalesce(
                given.with_only_columns(annotations.c.label).scalar_subquery(), activities.c.feedback_label
            ),
            feedback_rating=func.coalesce(
                given.with_only_columns(annotations.c.rating).scalar_subquery(), activities.c.feedback_rating
            ),
        )
    )


def _insert_new(conn: Connection, rows: list[dict]) -> dict[str, int]:
    """Insert the rows whose id is new; returns {id: pk} of those inserted."""
    dialect = conn.dialect.name
    if dialect != "sqlite":
        return dict(bulk.insert_from_arrays(conn, activities, rows, ("id", "pk")))
    # SQLite has one writer at a time, and this transaction holds the write lock: the rows above the
    # largest pk before the insert are the ones it inserted (an INTEGER PRIMARY KEY takes max + 1)
    before = conn.execute(select(func.max(activities.c.pk))).scalar() or 0
    bulk.execute_many(conn, _activity_insert(dialect), rows)
    return dict(conn.execute(select(activities.c.id, activities.c.pk).where(activities.c.pk > before)).all())


@cache
def _activity_insert(dialect: str):
    return insert_for(dialect, activities).on_conflict_do_nothing()


_BODY_INSERT = activity_bodies.insert()


def _stored_versions(conn: Connection, account_id: int, records: list[dict]) -> list[tuple]:
    """(stored row or None, record) for records whose id is already stored."""
    if not records:
        return []
    dialect = conn.dialect.name
    params = {"account": account_id, "ids": list_value(dialect, [r["id"] for r in records])}
    stored = {row.id: row for row in conn.execute(_stored_lookup(dialect), params)}
    return [(stored.get(r["id"]), r) for r in records]


@cache
def _stored_lookup(dialect: str):
    return (
        select(
            activities.c.pk,
            activities.c.id,
            activities.c.session_pk,
            activities.c.end_time,
            activities.c.activity_type,
            activities.c.error,
            *[activities.c[t] for t in _TOTALS],
        )
        .where(activities.c.account_id == bindparam("account"), in_list(activities.c.id, "ids", dialect))
        .order_by(activities.c.pk)
        .with_for_update()  # PostgreSQL: another worker's copy of these rows waits until we commit
    )


def _activity_row(account_id: int, session_pk: int, record: dict, now: datetime) -> dict:
    row = {name: record.get(name) for name in ACTIVITY_COLUMNS}
    row.update(account_id=account_id, session_pk=session_pk, id=record["id"], updated_at=now)
    row["tokens_counted"] = bool(row["tokens_counted"])
    return row


def _update_activities(conn: Connection, account_id: int, updates, now: datetime) -> None:
    values = {name: bindparam(f"v_{name}") for name in ACTIVITY_COLUMNS}
    conn.execute(
        update(activities).where(activities.c.pk == bindparam("v_pk")).values(**values, updated_at=now),
        [
            {
                "v_pk": old.pk,
                **{f"v_{k}": v for k, v in _activity_row(account_id, 0, r, now).items() if k in ACTIVITY_COLUMNS},
            }
            for old, r in updates
        ],
    )
    pks = [old.pk for old, _ in updates]
    conn.execute(_annotations_kept(conn.dialect.name), {"pks": list_value(conn.dialect.name, pks)})
    old_bodies = conn.execute(
        select(activity_bodies.c.activity_pk, activity_bodies.c.body).where(activity_bodies.c.activity_pk.in_(pks))
    ).all()
    errors = {old.pk: old.error for old, _ in updates}  # the rows above hold the new errors already
    search.unindex_stored(conn, [(pk, blob, errors[pk]) for pk, blob in old_bodies])
    conn.execute(
        update(activity_bodies).where(activity_bodies.c.activity_pk == bindparam("b_pk")).values(body=bindparam("b")),
        [{"b_pk": old.pk, "b": r["body_blob"]} for old, r in updates],
    )
    search.index(conn, [(old.pk, account_id, r["search_text"]) for old, r in updates])


def _add_delta(delta: dict, record: dict, old) -> None:
    delta["activity_count"] += 0 if old is not None else 1
    if record["activity_type"] == "llm-prompt" and old is None:
        delta["llm_calls"] += 1
    for total in _TOTALS:
        delta[total] += (record.get(total) or 0) - ((getattr(old, total) or 0) if old is not None else 0)
    end = record["end_time"]
    if end is not None and (delta["end_time"] is None or end > delta["end_time"]):
        delta["end_time"] = end


def _apply_session_deltas(conn: Connection, deltas: dict[int, dict], now: datetime) -> None:
    if not deltas:
        return
    bulk.execute_many(
        conn,
        _SESSION_DELTAS,
        [
            {
                "s_pk": pk,
                "d_end_time": d["end_time"],
                "d_updated_at": now,
                **{f"d_{n}": (d.get(n, 0) if n == "cost" else int(d.get(n, 0))) for n in _DELTA_COLUMNS},
            }
            for pk, d in sorted(deltas.items())  # one lock order for concurrent writers
        ],
    )


def add_session_costs(conn: Connection, costs: dict[int, float], now: datetime) -> None:
    """Add to the cost of sessions ({session pk: cost}), as calls priced after they were stored do."""
    deltas = {pk: _new_delta() for pk in costs}
    for pk, cost in costs.items():
        deltas[pk]["cost"] = cost
    _apply_session_deltas(conn, deltas, now)


_DELTA_COLUMNS = ("activity_count", "llm_calls", *_TOTALS)


def _later_end(stored, closed):
    """A session ends when the last of its activities does (`closed`: the latest end among those written now);
    an end its client sends replaces the stored one (`_session_upsert`), and a later activity moves it on."""
    return case((closed.is_(None), stored), (stored.is_(None) | (stored < closed), closed), else_=stored)


def _new_delta() -> defaultdict:
    return defaultdict(float, end_time=None)


_SESSION_DELTAS = (
    update(sessions)
    .where(sessions.c.pk == bindparam("s_pk"))
    .values(
        **{n: sessions.c[n] + bindparam(f"d_{n}") for n in _DELTA_COLUMNS},
        end_time=_later_end(sessions.c.end_time, bindparam("d_end_time", type_=UtcDateTime())),
        updated_at=bindparam("d_updated_at"),
    )
)
