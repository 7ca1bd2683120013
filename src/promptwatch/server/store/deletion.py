"""Deleting customer data: sessions (alone or in bulk), activity subtrees, projects, and whole accounts; and
the audit entries that name what was deleted, to be rewritten without it.

Rows are deleted at once (SQLite runs with `secure_delete`, so freed pages are zeroed); the cleanup cycle
then purges what the engine keeps around (full-text segments, the WAL, dead tuples). A user's deletion
takes the data's share out of the usage roll-ups too; retention keeps the roll-ups (`keep_aggregates`).
Bulk deletions go in transactions of a bounded number of activities (`delete_sessions_in_chunks`), so that
ingestion commits between them instead of waiting for the whole deletion.

A deletion takes rows in the order ingest does (`rollups`): the sessions (in order of id), their activities,
then the roll-up rows once, sorted; so on PostgreSQL a deletion and a concurrent ingest mostly wait for each
other, and the calls a deletion takes out of the roll-ups are those it deletes. An ingest transaction of
several jobs takes each job's sessions in order, not all of them: a deadlock left between the two is run
again (`services.lock_races`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, String, Text, cast, delete, func, or_, select, update

from . import search
from .dialect import in_list, insert_for, list_value
from .ingest_writer import llm_contributions
from .members import remove_membership
from .registry import CUSTOMER_TABLES
from .rollups import USAGE_MEASURES, Rollups, lock_rows
from .session_detail import activity_tree
from .tables import metadata
from .tables.accounts import accounts, memberships, projects
from .tables.activities import activities, activity_bodies
from .tables.members import invitations, membership_projects
from .tables.sessions import sessions, tombstones
from .tables.sharing import share_links
from .tables.support_access import audit_log
from .tables.usage import latency_hourly, usage_hourly

CHUNK = 500
KEPT_CLASSES = ("billing", "proof")  # outlive the account's deletion
ERASED_TENANT = "(erased)"


def chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def session_pks(
    conn: Connection,
    account_id: int,
    project_id: int | None = None,
    tenant: str | None = None,
    before: datetime | None = None,
    since: datetime | None = None,
    ids: Iterable[str] | None = None,
) -> list[int]:
    query = select(sessions.c.pk).where(sessions.c.account_id == account_id)
    if project_id is not None:
        query = query.where(sessions.c.project_id == project_id)
    if tenant is not None:
        query = query.where(sessions.c.tracking_tenant == tenant)
    if before is not None:
        query = query.where(sessions.c.start_time < before)
    if since is not None:
        query = query.where(sessions.c.start_time >= since)
    if ids is not None:
        query = query.where(sessions.c.id.in_(list(ids)))
    return list(conn.execute(query).scalars())


def _tombstone(conn: Connection, account_id: int, kind: str, object_ids: list[str], now: datetime) -> None:
    if object_ids:
        conn.execute(
            insert_for(conn, tombstones).on_conflict_do_nothing(),
            [{"account_id": account_id, "kind": kind, "object_id": i, "deleted_at": now} for i in object_ids],
        )


def _unindex_activities(conn: Connection, activity_pks) -> None:
    if conn.dialect.name != "sqlite":  # PostgreSQL's index rows go by id; only SQLite's need their text
        search.unindex_by_id(conn, activity_pks)
        return
    stored = activities.alias()  # `activity_pks` may select from `activities` itself
    rows = conn.execute(
        select(activity_bodies.c.activity_pk, activity_bodies.c.body, stored.c.error)
        .join(stored, stored.c.pk == activity_bodies.c.activity_pk)
        .where(activity_bodies.c.activity_pk.in_(activity_pks))
    ).all()
    search.unindex_stored(conn, rows)


def _lock_sessions(conn: Connection, pks: list[int]) -> None:
    """Lock the sessions in order of id, as ingest takes them (`ingest_writer._session_rows`; text by code
    point, as Python sorts it: collation "C"), before their activities: a writer of their activities waits, so
    the calls read for the roll-ups are the ones deleted. PostgreSQL only: SQLite has one writer at a time."""
    if conn.dialect.name != "postgresql":
        return
    found = []
    for chunk in chunks(pks):
        found += conn.execute(select(sessions.c.id, sessions.c.pk).where(sessions.c.pk.in_(chunk))).all()
    for chunk in chunks([pk for _id, pk in sorted(found)]):
        query = select(sessions.c.pk).where(sessions.c.pk.in_(chunk)).order_by(sessions.c.id.collate("C"))
        conn.execute(query.with_for_update())


def _delete_activities(conn: Connection, account_id: int, where, rollups: Rollups | None) -> int:
    """Activities matching `where`, out of the text index and the bodies; their calls are taken out of
    `rollups`, to be written at the end of the transaction (None: the roll-ups keep them)."""
    if rollups is not None:
        rollups.add(account_id, llm_contributions(conn, where), sign=-1)
    activity_pks = select(activities.c.pk).where(where)
    _unindex_activities(conn, activity_pks)
    conn.execute(delete(activity_bodies).where(activity_bodies.c.activity_pk.in_(activity_pks)))
    return conn.execute(delete(activities).where(where)).rowcount


def _tombstone_sessions(conn: Connection, account_id: int, pks: list[int], now: datetime) -> None:
    """Tombstones for the sessions; their share links go (a token never opens a session of the same id)."""
    for chunk in chunks(pks):
        ids = list(conn.execute(select(sessions.c.id).where(sessions.c.pk.in_(chunk))).scalars())
        _tombstone(conn, account_id, "session", ids, now)
        links = share_links.c
        conn.execute(
            delete(share_links).where(links.account_id == account_id, links.kind == "session", links.object_id.in_(ids))
        )


def delete_sessions(
    conn: Connection, account_id: int, pks: list[int], now: datetime, keep_aggregates: bool = False
) -> dict[str, int]:
    """Delete sessions with their activities and leave tombstones; returns counts. Their calls leave the roll-ups
    unless `keep_aggregates`."""
    counts = {"sessions": 0, "activities": 0}
    rollups = None if keep_aggregates else Rollups()
    _lock_sessions(conn, pks)
    for chunk in chunks(pks):
        counts["activities"] += _delete_activities(conn, account_id, activities.c.session_pk.in_(chunk), rollups)
        _tombstone_sessions(conn, account_id, chunk, now)
        counts["sessions"] += conn.execute(delete(sessions).where(sessions.c.pk.in_(chunk))).rowcount
    if rollups is not None:
        rollups.write(conn)
    return counts


# SQLite's busy handler polls with sleeps: a writer waiting for the lock needs a moment without it to get it
PAUSE_BETWEEN_TRANSACTIONS_SECONDS = 0.05


def _batches(conn: Connection, pks: list[int], limit: int) -> Iterator[list[int]]:
    """Sessions grouped so that a group holds at most `limit` activities and CHUNK sessions;
    a session with more activities than that is a group of its own."""
    sizes: dict[int, int] = {}
    for chunk in chunks(pks):
        query = select(activities.c.session_pk, func.count()).where(activities.c.session_pk.in_(chunk))
        sizes.update((pk, n) for pk, n in conn.execute(query.group_by(activities.c.session_pk)))
    batch, held = [], 0
    for pk in pks:
        size = sizes.get(pk, 0)
        if batch and (len(batch) >= CHUNK or held + size > limit):
            yield batch
            batch, held = [], 0
        batch.append(pk)
        held += size
    if batch:
        yield batch


def delete_sessions_in_chunks(
    engine: Engine,
    account_id: int,
    pks: list[int],
    now: datetime,
    keep_aggregates: bool,
    limit: int,
    note: Callable[[str, int], None] | None = None,
    run: Callable[[Callable[[], Any]], Any] | None = None,
) -> dict[str, int]:
    """`delete_sessions` in transactions of at most `limit` activities each (0: one transaction). The first
    transaction leaves every session's tombstone, so nothing can be sent into them while the rest goes on,
    and `tombstoned_session_pks` finds what an interruption left behind. `run` runs each transaction (given
    as a function of no arguments; a caller's may run it again after it lost a lock race)."""
    run = run or (lambda transaction: transaction())
    counts = {"sessions": 0, "activities": 0}
    if not pks:
        return counts
    if not limit:
        return run(partial(_in_transaction, engine, delete_sessions, account_id, pks, now, keep_aggregates))
    run(partial(_in_transaction, engine, _tombstone_sessions, account_id, pks, now))
    with engine.connect() as conn:
        plan = list(_batches(conn, pks, limit))
    for batch in plan:
        done = False
        while not done:
            part = partial(_in_transaction, engine, _delete_part, account_id, batch, limit, keep_aggregates)
            removed, gone, done = run(part)
            counts["activities"] += removed
            counts["sessions"] += gone
            if note:
                note("deleted activities", counts["activities"])
            time.sleep(PAUSE_BETWEEN_TRANSACTIONS_SECONDS)
    return counts


def _in_transaction(engine: Engine, work: Callable, *args):
    with engine.begin() as conn:
        return work(conn, *args)


def _delete_part(
    conn: Connection, account_id: int, batch: list[int], limit: int, keep_aggregates: bool
) -> tuple[int, int, bool]:
    """Up to `limit` activities of the sessions, and the sessions once none is left: (activities deleted,
    sessions deleted, whether the sessions are gone)."""
    rollups = None if keep_aggregates else Rollups()
    _lock_sessions(conn, batch)
    query = select(activities.c.pk).where(activities.c.session_pk.in_(batch)).order_by(activities.c.pk)
    some = list(conn.execute(query.limit(limit)).scalars())
    removed = _delete_activities(conn, account_id, activities.c.pk.in_(some), rollups)
    done = len(some) < limit
    gone = conn.execute(delete(sessions).where(sessions.c.pk.in_(batch))).rowcount if done else 0
    if rollups is not None:
        rollups.write(conn)
    return removed, gone, done


def tombstoned_session_pks(conn: Connection, before: datetime) -> dict[int, list[int]]:
    """Per account, sessions with a tombstone from before `before` that still exist: a bulk deletion was
    interrupted."""
    query = select(sessions.c.account_id, sessions.c.pk).join(
        tombstones,
        (tombstones.c.account_id == sessions.c.account_id)
        & (tombstones.c.kind == "session")
        & (tombstones.c.object_id == sessions.c.id)
        & (tombstones.c.deleted_at < before),
    )
    found: dict[int, list[int]] = {}
    for account_id, pk in conn.execute(query):
        found.setdefault(account_id, []).append(pk)
    return found


def _session_holding(conn: Connection, account_id: int, activity_id: str) -> int | None:
    query = select(activities.c.session_pk).where(activities.c.account_id == account_id, activities.c.id == activity_id)
    return conn.execute(query).scalar()


def activity_subtree(conn: Connection, account_id: int, activity_id: str) -> tuple[int, list[dict]] | None:
    """The session pk and the activity with every descendant (`{"pk", "id"}`) in the tree as it is shown (a
    parent cycle cut, `session_detail.activity_tree`), or None when there is no such activity."""
    root = _session_holding(conn, account_id, activity_id)
    if root is None:
        return None
    children = activity_tree(conn, root)
    out, stack = [], [r for rows in children.values() for r in rows if r["id"] == activity_id]
    while stack:
        row = stack.pop()
        out.append(row)
        stack.extend(children.get(row["id"], []))
    return root, out


def delete_activity_subtree(conn: Connection, account_id: int, activity_id: str, now: datetime) -> int | None:
    """The activity with its descendants, out of its session's totals and the roll-ups; None when there is no
    such activity. Its session is locked first, then the tree read (`delete_sessions`)."""
    session_pk = _session_holding(conn, account_id, activity_id)
    if session_pk is None:
        return None
    _lock_sessions(conn, [session_pk])
    found = activity_subtree(conn, account_id, activity_id)  # the tree, now that no writer changes it
    if found is None:
        return None
    session_pk, subtree = found
    pks = [row["pk"] for row in subtree]
    rollups = Rollups()
    rollups.add(account_id, llm_contributions(conn, activities.c.pk.in_(pks)), sign=-1)
    totals = conn.execute(
        select(
            func.count(),
            func.count().filter(activities.c.activity_type == "llm-prompt"),
            *[func.coalesce(func.sum(activities.c[n]), 0) for n in _TOTALS],
        ).where(activities.c.pk.in_(pks))
    ).one()
    _unindex_activities(conn, pks)
    conn.execute(delete(activity_bodies).where(activity_bodies.c.activity_pk.in_(pks)))
    conn.execute(delete(activities).where(activities.c.pk.in_(pks)))
    conn.execute(
        update(sessions)
        .where(sessions.c.pk == session_pk)
        .values(
            activity_count=sessions.c.activity_count - totals[0],
            llm_calls=sessions.c.llm_calls - totals[1],
            **{n: sessions.c[n] - totals[2 + i] for i, n in enumerate(_TOTALS)},
            updated_at=now,
        )
    )
    _tombstone(conn, account_id, "activity", [row["id"] for row in subtree], now)
    rollups.write(conn)
    return len(pks)


_TOTALS = ("prompt_tokens", "completion_tokens", "total_tokens", "cost")


def erase_tenant_from_aggregates(conn: Connection, account_id: int, tenant: str) -> None:
    """The tenant's totals stay in the account's figures, under an erased label instead of its identifier."""
    relabel_aggregates(conn, account_id, "tracking_tenant", tenant, ERASED_TENANT)


def relabel_aggregates(conn: Connection, account_id: int, column: str, value: str, label: str) -> None:
    """The hourly roll-ups grouped under `value` of `column` move to `label`, merged with rows already there."""
    lock_rows(conn, account_id, column, [value, label])
    for table, measures in ((usage_hourly, USAGE_MEASURES), (latency_hourly, ("count",))):
        rows = [
            dict(r)
            for r in conn.execute(
                select(table).where(table.c.account_id == account_id, table.c[column] == value)
            ).mappings()
        ]
        if not rows:
            continue
        conn.execute(delete(table).where(table.c.account_id == account_id, table.c[column] == value))
        keys = [c.name for c in table.c if c.name not in measures]
        stmt = insert_for(conn, table)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=keys, set_={m: table.c[m] + stmt.excluded[m] for m in measures}),
            [{**row, column: label} for row in rows],
        )


def delete_by_registry(conn: Connection, account_id: int, column: str, value) -> int:
    """Rows of registered tables that name `value` in their tenant column (`column` "tenant"), or in their project
    column (`column` "project", `value` the project's row: a text column names it, any other holds its id)."""
    removed = 0
    for entry in CUSTOMER_TABLES:
        name = entry.project_column if column == "project" else entry.tenant_column
        if name and entry.table is not sessions:
            table = entry.table
            held = value if column == "tenant" else _project_value(table.c[name], value)
            removed += conn.execute(
                delete(table).where(table.c.account_id == account_id, table.c[name] == held)
            ).rowcount
    return removed


def _project_value(column, project: RowMapping):
    return project["name"] if isinstance(column.type, String) else project["id"]


def delete_project_row(conn: Connection, account_id: int, project_id: int) -> None:
    lock_rows(conn, account_id, "project_id", [project_id])
    for table in (usage_hourly, latency_hourly):
        conn.execute(delete(table).where(table.c.account_id == account_id, table.c.project_id == project_id))
    conn.execute(delete(projects).where(projects.c.account_id == account_id, projects.c.id == project_id))


def remove_project_limits(conn: Connection, account_id: int, project: RowMapping) -> int:
    """What limits people to a project about to go: invitations lose its name, and members their limit to it.
    An invitation or a membership limited to no other project is removed (without a limit it would open the
    whole account); returns how many were."""
    removed = 0
    for invitation in _invitations_limited_to(conn, account_id, project["name"]):
        kept = [name for name in invitation["projects"] if name != project["name"]]
        where = invitations.c.id == invitation["id"]
        if kept:
            conn.execute(update(invitations).where(where).values(projects=kept))
        else:
            removed += conn.execute(delete(invitations).where(where)).rowcount
    for user_id in _members_limited_to_only(conn, account_id, project["id"]):
        remove_membership(conn, account_id, user_id)
        removed += 1
    return removed


def _invitations_limited_to(conn: Connection, account_id: int, name: str) -> list[RowMapping]:
    query = select(invitations.c.id, invitations.c.projects).where(
        invitations.c.account_id == account_id, invitations.c.projects.is_not(None)
    )
    return [row for row in conn.execute(query).mappings() if name in (row["projects"] or [])]


def _members_limited_to_only(conn: Connection, account_id: int, project_id: int) -> list[int]:
    limits = membership_projects.c
    elsewhere = select(limits.user_id).where(limits.account_id == account_id, limits.project_id != project_id)
    query = select(limits.user_id).where(
        limits.account_id == account_id, limits.project_id == project_id, limits.user_id.not_in(elsewhere)
    )
    return list(conn.execute(query).scalars())


def delete_account_data(conn: Connection, account_id: int, now: datetime) -> dict[str, int]:
    """Everything the account owns but its billing records; the account row stays, emptied, for them. The
    counts say what was removed per table, and what billing law keeps (`invoices_kept`)."""
    counts = delete_sessions(conn, account_id, session_pks(conn, account_id), now, keep_aggregates=True)
    registered = {e.table.name: e for e in CUSTOMER_TABLES}
    for table in reversed(metadata.sorted_tables):
        entry = registered.get(table.name)
        if entry is None or entry.retention_class in KEPT_CLASSES or table is accounts or "account_id" not in table.c:
            continue
        removed = conn.execute(delete(table).where(table.c.account_id == account_id)).rowcount
        if removed:
            counts[entry.export_kind] = counts.get(entry.export_kind, 0) + removed
    counts.update(_kept_for_billing(conn, account_id))
    conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(name="(deleted account)", kind="deleted", settings=None, expires_at=now)
    )
    return counts


def _kept_for_billing(conn: Connection, account_id: int) -> dict[str, int]:
    """`<kind>_kept`: the rows of the account that billing law keeps (its invoices and their lines)."""
    kept = {}
    for entry in CUSTOMER_TABLES:
        if entry.retention_class == "billing":
            table = entry.table
            query = select(func.count()).select_from(table).where(table.c.account_id == account_id)
            kept[f"{entry.export_kind}_kept"] = conn.execute(query).scalar_one()
    return kept


# what the audit log says of what was deleted: an erased person's e-mail, a deleted project's name
AUDIT_VALUES_PER_SCAN = 100  # values one scan looks for: up to three LIKE terms each, under SQLite's expression depth
_AUDIT_ENTRY = tuple(audit_log.c[name] for name in ("id", "account_id", "at", "action", "target", "details"))


def audit_entries_holding(conn: Connection, values: Iterable[str], account_id: int | None = None) -> list[RowMapping]:
    """Audit entries (of one account, or of every one) whose target or details hold any of `values` in any case,
    among other text maybe: the caller picks the values to rewrite. One scan of the log for up to
    AUDIT_VALUES_PER_SCAN values; an entry is listed once, however many it holds. When every value holds `@` (they
    are e-mails), an entry without one is passed over at the cost of one test instead of one per value."""
    entry = audit_log.c
    details = cast(entry.details, Text)
    lowered = sorted({value.lower() for value in values})
    found: dict[int, RowMapping] = {}
    for some in chunks(lowered, AUDIT_VALUES_PER_SCAN):
        held = []
        for value in some:
            escaped = json.dumps(value)[1:-1]  # as SQLite's JSON text holds it
            held += [
                func.lower(entry.target).contains(value, autoescape=True),
                *(func.lower(details).contains(text, autoescape=True) for text in dict.fromkeys((value, escaped))),
            ]
        query = select(*_AUDIT_ENTRY)
        if all("@" in value for value in some):
            query = query.where(or_(entry.target.contains("@"), details.contains("@")))
        query = query.where(or_(*held))
        if account_id is not None:
            query = query.where(entry.account_id == account_id)
        found.update((row["id"], row) for row in conn.execute(query).mappings())
    return [found[entry_id] for entry_id in sorted(found)]


def audit_entries_of(conn: Connection, account_id: int, entry_ids: Iterable[int]) -> Iterator[RowMapping]:
    """The account's audit entries of these ids, in order, read CHUNK at a time."""
    entry, dialect = audit_log.c, conn.dialect.name
    query = (
        select(*_AUDIT_ENTRY)
        .where(entry.account_id == account_id, in_list(entry.id, "ids", dialect))
        .order_by(entry.id)
    )
    for some in chunks(sorted(entry_ids)):
        yield from conn.execute(query, {"ids": list_value(dialect, some)}).mappings().all()


def rewrite_audit_entry(conn: Connection, entry_id: int, target: str | None, details) -> None:
    conn.execute(update(audit_log).where(audit_log.c.id == entry_id).values(target=target, details=details))


def accounts_naming_users(
    conn: Connection, user_ids: Iterable[int], account_id: int | None = None
) -> dict[int, set[int]]:
    """Per user, the accounts (all, or just `account_id`) they belong to, or whose audit log names them by id (as
    actor or target): one look at the memberships and one scan of the log for them all."""
    ids = sorted(set(user_ids))
    known: dict[int, set[int]] = {user_id: set() for user_id in ids}
    if not ids:
        return known
    dialect = conn.dialect.name
    named = {f"user:{user_id}": user_id for user_id in ids}
    members = select(memberships.c.user_id, memberships.c.account_id).where(
        in_list(memberships.c.user_id, "ids", dialect)
    )
    entry = audit_log.c
    audited = select(entry.actor, entry.target, entry.account_id).where(
        or_(in_list(entry.actor, "actors", dialect), in_list(entry.target, "targets", dialect))
    )
    if account_id is not None:
        members = members.where(memberships.c.account_id == account_id)
        audited = audited.where(entry.account_id == account_id)
    for user_id, account in conn.execute(members, {"ids": list_value(dialect, ids)}):
        known[user_id].add(account)
    names = list_value(dialect, named)
    for actor, target, account in conn.execute(audited.distinct(), {"actors": names, "targets": names}):
        for name in (actor, target):
            if name in named:
                known[named[name]].add(account)
    return known


def tenants(conn: Connection, account_id: int) -> list[str]:
    """Every tracking tenant the account's sessions and roll-ups name."""
    found = set(
        conn.execute(select(sessions.c.tracking_tenant).where(sessions.c.account_id == account_id).distinct()).scalars()
    )
    found |= set(
        conn.execute(
            select(usage_hourly.c.tracking_tenant).where(usage_hourly.c.account_id == account_id).distinct()
        ).scalars()
    )
    return sorted(t for t in found if t and t != ERASED_TENANT)
