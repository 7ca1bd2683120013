"""Rows of the registered customer tables for export and import: selected by account (or by one tracking
tenant, following foreign keys from its sessions, and the dataset items copied from its calls), and inserted
into another account with every surrogate id remapped. Sessions and activities the target account deleted
stay deleted: an import leaves them out, with every row that refers to them, the dataset items copied from
them, and their share of the sessions' totals and of the hourly roll-ups the archive brings. So do the
projects, datasets and dataset items it deleted, the invitations to the people erased since, and the limits of
invitations to projects deleted since, which the deletion ledger names (the service layer reads it,
`services/import_deletions.py`). What the account holds already, an import cannot bring in: `natural_keys`
and `held_keys` find which of an archive's rows those are."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone

from sqlalchemy import Column, Connection, Table, UniqueConstraint, and_, func, literal, or_, select, tuple_, update

from .datasets import copied_from_tenant
from .dialect import in_list, insert_for, list_value
from .registry import CUSTOMER_TABLES, CustomerTable
from .rollups import USAGE_TYPES, Rollups, usage_key
from .tables import metadata
from .tables.accounts import accounts, projects
from .tables.activities import activities
from .tables.datasets import dataset_items, datasets
from .tables.members import invitations
from .tables.sessions import sessions
from .tables.sharing import share_links
from .tables.usage import DIMENSIONS, usage_hourly
from .tombstones import deleted_ids

BATCH = 1000


def exported_tables() -> list[CustomerTable]:
    """Registered, exported tables in an order where every referenced table comes first."""
    registered = {entry.table.name: entry for entry in CUSTOMER_TABLES if entry.exported}
    ordered = [registered[t.name] for t in metadata.sorted_tables if t.name in registered]
    # references without a foreign key are not in sorted_tables' order: such tables go last, and share links,
    # which name their session or dataset by id or name, after every object they may name
    last = [registered[share_links.name]] if share_links.name in registered else []
    ordered = [e for e in ordered if e not in last]
    return [e for e in ordered if not e.references] + [e for e in ordered if e.references] + last


def _account_condition(table: Table, account_id: int):
    return table.c.id == account_id if table is accounts else table.c.account_id == account_id


def tenant_conditions(account_id: int, tenant: str) -> dict[str, object]:
    """Per table, the condition that picks the rows about one tracking tenant: its sessions, rows that name
    the tenant, rows that reference those through any of their foreign keys, and dataset items copied from its
    calls (which name their source by id, without a foreign key)."""
    chosen: dict[str, object] = {}
    for entry in exported_tables():
        table = entry.table
        if table is sessions:
            chosen[table.name] = and_(table.c.account_id == account_id, table.c.tracking_tenant == tenant)
            continue
        if table is dataset_items:
            chosen[table.name] = copied_from_tenant(account_id, tenant)
            continue
        reaching = _reaching_tenant(table, entry.tenant_column, tenant, chosen)
        if reaching:
            chosen[table.name] = and_(table.c.account_id == account_id, or_(*reaching))
    return chosen


def _reaching_tenant(table: Table, tenant_column: str | None, tenant: str, chosen: dict[str, object]) -> list:
    """Each way a row of `table` can be about the tenant: naming it, or referencing a chosen row through any of
    its foreign keys (an annotation names an activity or a session)."""
    reaching = [table.c[tenant_column] == tenant] if tenant_column else []
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        parent = fk.column.table
        if parent.name in chosen and parent is not accounts:
            reaching.append(fk.parent.in_(select(fk.column).where(chosen[parent.name])))
    return reaching


def holds_tenant(conn: Connection, account_id: int, tenant: str) -> bool:
    """Whether the account holds any row that an export of `tenant` would hold."""
    return any(
        conn.execute(select(literal(1)).where(condition).limit(1)).first()
        for condition in tenant_conditions(account_id, tenant).values()
    )


def iter_rows(conn: Connection, table: Table, condition) -> Iterator[dict]:
    query = select(table).where(condition).execution_options(yield_per=BATCH)
    for row in conn.execute(query).mappings():
        yield dict(row)


def account_rows(conn: Connection, entry: CustomerTable, account_id: int) -> Iterator[dict]:
    return iter_rows(conn, entry.table, _account_condition(entry.table, account_id))


def _surrogate_key(table: Table) -> str | None:
    """The name of a generated integer primary key (remapped on import), if the table has one."""
    key = list(table.primary_key.columns)
    if len(key) != 1 or key[0].foreign_keys or key[0].autoincrement not in (True, "auto"):
        return None
    return key[0].name if key[0].type.python_type is int else None


def natural_keys(table: Table) -> list[tuple[Column, ...]]:
    """The keys a row keeps as the archive has it, unique within the account, of a table whose rows get a new
    surrogate id: a row whose key the importing account holds already cannot come in."""
    if _surrogate_key(table) is None:
        return []
    keys = []
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and "account_id" in constraint.columns:
            columns = tuple(column for column in constraint.columns if column.name != "account_id")
            if columns and not any(column.foreign_keys for column in columns):
                keys.append(columns)
    return keys


def held_keys(conn: Connection, account_id: int, columns: tuple[Column, ...], values: list[tuple]) -> set[tuple]:
    """Those of `values` (of `columns`, a natural key) that the account's rows hold."""
    table = columns[0].table
    held: set[tuple] = set()
    for chunk in range(0, len(values), BATCH):
        some = values[chunk : chunk + BATCH]
        matching = tuple_(*columns).in_(some) if len(columns) > 1 else columns[0].in_([v[0] for v in some])
        query = select(*columns).where(table.c.account_id == account_id, matching)
        held.update(tuple(row) for row in conn.execute(query))
    return held


# the tables whose rows' `id` a deletion's tombstone names, with the tombstone's kind
_TOMBSTONED = {sessions.name: "session", activities.name: "activity"}
# whether the account deleted a project or dataset ("project", "dataset": its name) or an item ("dataset_item",
# its id), or the person of an e-mail ("user") was erased, since a moment: a name, id or e-mail used again after
# its deletion names another object or person
Ledgered = Callable[[str, str, datetime], bool]
# what the answer counts as left out
_LEFT_OUT_KINDS = (sessions.name, activities.name, datasets.name, dataset_items.name, invitations.name)
_LINKED = {"session": sessions.name, "dataset": datasets.name}  # what a share link of each kind names
_SESSION_TOTALS = ("prompt_tokens", "completion_tokens", "total_tokens", "cost")  # summed from its activities
_USAGE_KEY = tuple(usage_hourly.c[name] for name in DIMENSIONS if name != "account_id")


class Remapper:
    """Inserts rows of one account's archive into another account, remapping surrogate ids. `left_out` holds, per
    table, the archive's keys of the rows left out because the target account deleted them or what they refer to;
    `left_out_ids` the ids of those sessions and activities, and the names of the datasets and the ids of the
    dataset items left out as deleted: those that `ledgered` names (a project with everything in it, a dataset with
    its items and share links), and the items copied from a session or activity left out (they name it by id, and
    hold a copy of its input and output); and the ids of the invitations to a person `ledgered` says was erased
    since they were made (the erasure took them, and they hold the e-mail). The tenants of deleted sessions are
    left out of the rows that name a tenant (the hourly roll-ups, which an erasure relabels): imported, they would
    bring an erased tenant's name back and count its usage twice. Sessions come before those tables in
    `exported_tables`. Once every row is in, `settle` takes what was left out from the sessions' totals and from
    the roll-ups the archive brought."""

    def __init__(self, target_account_id: int, ledgered: Ledgered | None = None) -> None:
        self.target = target_account_id
        self.ledgered = ledgered or (lambda _kind, _id, _created_at: False)
        self.ids: dict[str, dict] = {"accounts": {}}
        self.left_out: dict[str, set] = {}
        self.left_out_tenants: set[str] = set()
        self.left_out_ids: dict[str, set] = {name: set() for name in _LEFT_OUT_KINDS}  # ids, or datasets' names
        self._placements: dict[int, tuple] = {}  # a left-out session's (target project id, tenant), by archive pk
        self._lost_from: set[int] = set()  # archive pks of the sessions whose activities were left out
        self._lost_calls: list[dict] = []  # the closed LLM calls left out: what the roll-ups counted
        self._usage_brought: set[tuple] = set()  # the dimensions of the archive's usage rows that were imported

    def insert(self, conn: Connection, entry: CustomerTable, rows: list[dict]) -> int:
        table = entry.table
        key = _surrogate_key(table)
        references = dict(entry.references)
        kind = _TOMBSTONED.get(table.name)
        deleted = deleted_ids(conn, self.target, kind, {row["id"] for row in rows}) if kind else set()
        prepared, old_keys = [], []
        for source in rows:
            row = dict(source)
            if "account_id" in table.c:
                row["account_id"] = self.target
            deleted_itself = self._ledgered_row(table, row)
            skip = (kind is not None and row["id"] in deleted) or deleted_itself
            if skip and table is sessions and row["tracking_tenant"] is not None:
                self.left_out_tenants.add(row["tracking_tenant"])
            if entry.tenant_column and row.get(entry.tenant_column) in self.left_out_tenants:
                skip = True
            for column in table.c:
                if skip:
                    break
                value = row.get(column.name)
                if value is None or column.name == "account_id":
                    continue
                referred = next((fk.column.table.name for fk in column.foreign_keys), references.get(column.name))
                if referred is None or referred == "accounts":
                    continue
                if referred == "users":  # people are not part of an account's data
                    row[column.name] = None
                    continue
                mapped = self.ids.get(referred, {}).get(value)
                if value in self.left_out.get(referred, ()):
                    skip = True
                elif mapped is None and not (column.name in references and value == 0):
                    skip = not column.nullable
                    row[column.name] = None
                elif mapped is not None:
                    row[column.name] = mapped
            if skip:
                if key:
                    self.left_out.setdefault(table.name, set()).add(row[key])
                self._note_left_out(table, source, deleted_itself)
                continue
            if key:
                old_keys.append(row.pop(key))
            prepared.append(row)
        if not prepared:
            return 0
        if key is None:  # rows already there (same natural key) are kept
            stmt = insert_for(conn, table).on_conflict_do_nothing()
            if table is not usage_hourly or not self._lost_calls:  # activities come first: the calls are known
                return conn.execute(stmt, prepared).rowcount
            brought = conn.execute(stmt.returning(*_USAGE_KEY), prepared).all()
            self._usage_brought.update(tuple(r) for r in brought)
            return len(brought)
        stmt = insert_for(conn, table).returning(table.c[key], sort_by_parameter_order=True)
        returned = conn.execute(stmt, prepared).all()
        self.ids.setdefault(table.name, {}).update(zip(old_keys, (r[0] for r in returned)))
        return len(returned)

    def _ledgered_row(self, table: Table, row: dict) -> bool:
        """A project, dataset or item the account deleted, an item copied from a session or activity left out,
        a share link of a session or dataset left out or deleted (a link names it by id or name), or an invitation
        to a person erased since it was made, or limited to projects all deleted since (`row` loses those)."""
        if table is invitations:
            return self.ledgered("user", row["email"], row["created_at"]) or self._limited_to_deleted(row)
        if table is projects:
            return self.ledgered("project", row["name"], row["created_at"])
        if table is datasets:
            return self.ledgered("dataset", row["name"], row["created_at"])
        if table is dataset_items:
            return self._copied_from_left_out(row) or self.ledgered("dataset_item", row["id"], row["created_at"])
        if table is share_links:  # imported last: what it names was left out or not by now
            left_out = self.left_out_ids[_LINKED[row["kind"]]]
            ledgered = row["kind"] == "dataset" and self.ledgered("dataset", row["object_id"], row["created_at"])
            return row["object_id"] in left_out or ledgered
        return False

    def _limited_to_deleted(self, invitation: dict) -> bool:
        """The invitation loses the projects deleted since it was made, as their deletions took them from it;
        True when it was limited to those alone (the deletions removed it: with no limit it would reach the whole
        account)."""
        limits = invitation.get("projects")
        if not limits:
            return False
        invitation["projects"] = [n for n in limits if not self.ledgered("project", n, invitation["created_at"])]
        return not invitation["projects"]

    def _copied_from_left_out(self, item: dict) -> bool:
        return (
            item.get("source_session_id") in self.left_out_ids[sessions.name]
            or item.get("source_activity_id") in self.left_out_ids[activities.name]
        )

    def _note_left_out(self, table: Table, row: dict, deleted_itself: bool) -> None:
        """What `settle` and the dataset items need to know of a session or activity left out (`row` as the
        archive has it), and the datasets and items left out as deleted (`deleted_itself`: the row itself)."""
        if table is sessions:
            self.left_out_ids[sessions.name].add(row["id"])
            project_id = self.ids.get("projects", {}).get(row.get("project_id"))
            self._placements[row["pk"]] = (project_id, row.get("tracking_tenant"))
        elif table is activities:
            self.left_out_ids[activities.name].add(row["id"])
            self._lost_from.add(row["session_pk"])
            if row["activity_type"] in USAGE_TYPES and row.get("end_time") is not None:
                self._lost_calls.append(row)
        elif table is datasets:
            self.left_out_ids[datasets.name].add(row["name"])
        elif table is dataset_items and (deleted_itself or row["dataset_pk"] in self.left_out.get(datasets.name, ())):
            # not an item left out only because its dataset is not in the archive (a tenant's export)
            self.left_out_ids[dataset_items.name].add(row["id"])
        elif table is invitations and deleted_itself:
            self.left_out_ids[invitations.name].add(row["id"])

    def settle(self, conn: Connection) -> None:
        """Once every row is in: an imported session that lost activities counts only those it kept, and the
        usage rows the archive brought no longer count the calls left out, as deleting those calls would have
        taken them out (a row the account already had, and kept, never counted them)."""
        imported = self.ids.get(sessions.name, {})
        _recount(conn, [imported[pk] for pk in self._lost_from if pk in imported])
        placements = {**self._placements, **self._imported_placements(conn)}
        taken = []
        for call in self._lost_calls:
            placement = placements.get(call["session_pk"])
            if placement is None:  # its session is not in the archive
                continue
            call = {**call, "start_time": _utc(call["start_time"]), "end_time": _utc(call["end_time"])}
            if usage_key(call, *placement) in self._usage_brought:
                taken.append((call, (None, *placement)))
        if taken:
            rollups = Rollups()
            rollups.add(self.target, taken, sign=-1)
            rollups.write(conn)

    def _imported_placements(self, conn: Connection) -> dict[int, tuple]:
        """(target project id, tenant) of the imported sessions that lost calls, by archive pk."""
        imported = self.ids.get(sessions.name, {})
        lost_from = {call["session_pk"] for call in self._lost_calls}
        archive_pk = {imported[pk]: pk for pk in lost_from if pk in imported}
        if not archive_pk:
            return {}
        dialect = conn.dialect.name
        query = select(sessions.c.pk, sessions.c.project_id, sessions.c.tracking_tenant).where(
            in_list(sessions.c.pk, "pks", dialect)
        )
        rows = conn.execute(query, {"pks": list_value(dialect, archive_pk)})
        return {archive_pk[pk]: (project_id, tenant) for pk, project_id, tenant in rows}


def _recount(conn: Connection, session_pks: list[int]) -> None:
    """The sessions' running totals as their activities add up (ingestion adds each activity's share)."""
    if not session_pks:
        return

    def held(value, *where):
        return select(value).where(activities.c.session_pk == sessions.c.pk, *where).scalar_subquery()

    dialect = conn.dialect.name
    conn.execute(
        update(sessions)
        .where(in_list(sessions.c.pk, "pks", dialect))
        .values(
            activity_count=held(func.count()),
            llm_calls=held(func.count(), activities.c.activity_type == "llm-prompt"),
            **{name: func.coalesce(held(func.sum(activities.c[name])), 0) for name in _SESSION_TOTALS},
        ),
        {"pks": list_value(dialect, session_pks)},
    )


def _utc(moment):
    return moment.astimezone(timezone.utc)
