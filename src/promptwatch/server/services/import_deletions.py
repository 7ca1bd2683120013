"""What an archive's import leaves out because the importing account deleted it and only its deletion ledger
says so (P18): projects and datasets, named there by a keyed hash of their name, and dataset items by id.
Only an archive of the same account is checked this way: another account's project or dataset of the same
name is another object. Sessions and activities are left out by their tombstones (`store/archive_rows.py`)."""

from __future__ import annotations

import zipfile
from datetime import datetime

from sqlalchemy import Connection

from ..store import accounts as account_store
from ..store.archive_rows import Ledgered
from ..store.registry import CUSTOMER_TABLES
from ..store.tables.accounts import accounts
from .import_validation import parse_row
from .ledger import DeletionLedger, LedgerEntry

NAMED = {"project": "project_hash", "dataset": "dataset_hash"}  # ledger kinds that name their object by hash


def ledgered_deletions(ledger: DeletionLedger, account_id: int) -> Ledgered:
    """Whether the account deleted the project or dataset of a name, or the dataset item of an id, created at a
    moment: its entries name it, and one of them is no older than the object. One made after the deletion of
    its name or id is another one, which an import brings in."""
    named: list[tuple[str, datetime, LedgerEntry]] = []
    items: dict[str, datetime] = {}  # an item id's last deletion
    for entry in ledger.entries():
        if entry.get("account_id") != account_id or entry["kind"] not in (*NAMED, "dataset_item"):
            continue
        at = datetime.fromisoformat(entry["at"])
        if entry["kind"] in NAMED:
            named.append((entry["kind"], at, entry))
        for item_id in entry.get("item_ids", ()):
            items[item_id] = max(at, items.get(item_id, at))
    last_of: dict[tuple[str, str], datetime | None] = {}  # a name's last deletion, once looked for

    def deleted(kind: str, object_id: str, created_at: datetime) -> bool:
        if kind == "dataset_item":
            last = items.get(object_id)
        else:
            if (kind, object_id) not in last_of:
                last_of[kind, object_id] = max(
                    (at for k, at, e in named if k == kind and e.holds(NAMED[kind], object_id)), default=None
                )
            last = last_of[kind, object_id]
        return last is not None and created_at <= last

    return deleted


def exported_by(conn: Connection, archive: zipfile.ZipFile, account_id: int) -> bool:
    """Whether the archive is an export of this very account: its account row has the account's id and
    creation time (a tenant's export holds no account row)."""
    entry = next(e for e in CUSTOMER_TABLES if e.table is accounts)
    try:
        with archive.open(f"{entry.export_kind}.jsonl") as member:
            line = member.readline()
    except KeyError:
        return False
    stored = account_store.get_account(conn, account_id)
    if not line or stored is None:
        return False
    row = parse_row(line, entry, 1)
    return row.get("id") == account_id and row.get("created_at") == stored["created_at"]
