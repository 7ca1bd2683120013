"""Rows of the registered customer tables for export and import: selected by account (or by one tracking
tenant, following foreign keys from its sessions, and the dataset items copied from its calls), and inserted
into another account with every surrogate id remapped. Sessions and activities the target account deleted
stay deleted: an import leaves them out, with every row that refers to them."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, Table, and_, literal, select

from .datasets import copied_from_tenant
from .dialect import insert_for
from .registry import CUSTOMER_TABLES, CustomerTable
from .tables import metadata
from .tables.accounts import accounts
from .tables.activities import activities
from .tables.datasets import dataset_items
from .tables.sessions import sessions
from .tombstones import deleted_ids

BATCH = 1000


def exported_tables() -> list[CustomerTable]:
    """Registered, exported tables in an order where every referenced table comes first."""
    registered = {entry.table.name: entry for entry in CUSTOMER_TABLES if entry.exported}
    ordered = [registered[t.name] for t in metadata.sorted_tables if t.name in registered]
    # references without a foreign key are not in sorted_tables' order: such tables go last
    return [e for e in ordered if not e.references] + [e for e in ordered if e.references]


def _account_condition(table: Table, account_id: int):
    return table.c.id == account_id if table is accounts else table.c.account_id == account_id


def tenant_conditions(account_id: int, tenant: str) -> dict[str, object]:
    """Per table, the condition that picks the rows about one tracking tenant: its sessions, rows that name
    the tenant, rows that reference those through a foreign key, and dataset items copied from its calls
    (which name their source by id, without a foreign key)."""
    chosen: dict[str, object] = {}
    for entry in exported_tables():
        table = entry.table
        if table is sessions:
            chosen[table.name] = and_(table.c.account_id == account_id, table.c.tracking_tenant == tenant)
            continue
        if table is dataset_items:
            chosen[table.name] = copied_from_tenant(account_id, tenant)
            continue
        if entry.tenant_column:
            chosen[table.name] = and_(table.c.account_id == account_id, table.c[entry.tenant_column] == tenant)
            continue
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent.name in chosen and parent is not accounts:
                picked = select(fk.column).where(chosen[parent.name])
                chosen[table.name] = and_(table.c.account_id == account_id, fk.parent.in_(picked))
                break
    return chosen


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


# the tables whose rows' `id` a deletion's tombstone names, with the tombstone's kind
_TOMBSTONED = {sessions.name: "session", activities.name: "activity"}


class Remapper:
    """Inserts rows of one account's archive into another account, remapping surrogate ids. `left_out` holds,
    per table, the archive's keys of the rows left out because the target account deleted them or what they
    refer to. The tenants of deleted sessions are left out of the rows that name a tenant (the hourly roll-ups,
    which an erasure relabels): imported, they would bring an erased tenant's name back and count its usage
    twice. Sessions come before those tables in `exported_tables`."""

    def __init__(self, target_account_id: int) -> None:
        self.target = target_account_id
        self.ids: dict[str, dict] = {"accounts": {}}
        self.left_out: dict[str, set] = {}
        self.left_out_tenants: set[str] = set()

    def insert(self, conn: Connection, entry: CustomerTable, rows: list[dict]) -> int:
        table = entry.table
        key = _surrogate_key(table)
        references = dict(entry.references)
        kind = _TOMBSTONED.get(table.name)
        deleted = deleted_ids(conn, self.target, kind, {row["id"] for row in rows}) if kind else set()
        prepared, old_keys = [], []
        for row in rows:
            row = dict(row)
            if "account_id" in table.c:
                row["account_id"] = self.target
            skip = kind is not None and row["id"] in deleted
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
                continue
            if key:
                old_keys.append(row.pop(key))
            prepared.append(row)
        if not prepared:
            return 0
        if key is None:  # rows already there (same natural key) are kept
            return conn.execute(insert_for(conn, table).on_conflict_do_nothing(), prepared).rowcount
        stmt = insert_for(conn, table).returning(table.c[key], sort_by_parameter_order=True)
        returned = conn.execute(stmt, prepared).all()
        self.ids.setdefault(table.name, {}).update(zip(old_keys, (r[0] for r in returned)))
        return len(returned)
