"""What an archive's import leaves out or rewrites because the deletion ledger says it was deleted (P18).

Left out: the projects and datasets the importing account deleted, named there by a keyed hash of their name,
and its dataset items, by id. Only an archive of the same account is checked this way: another account's project
or dataset of the same name is another object. Sessions and activities are left out by their tombstones
(`store/archive_rows.py`). The invitations to a person erased after they were made are left out of any account's
archive, as the erasure removed them from every account: the ledger names the person by a keyed hash of the e-mail.

Rewritten: the audit entries the archive brings that name a person erased after they were written (their
e-mail, in any account's archive: an erasure is the whole instance's) or, in the account's own archive, a project
it deleted after: as the erasure or the deletion rewrote the log then (`audit.forget_in_entry`), so that no
audit entry holds in clear what a receipt or the ledger says is gone.
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from functools import partial

from sqlalchemy import Connection

from ..store import accounts as account_store
from ..store import deletion as deletion_store
from ..store.archive_rows import Ledgered
from ..store.registry import CUSTOMER_TABLES
from ..store.tables.accounts import accounts
from ..store.tables.support_access import audit_log
from . import audit
from .import_validation import parse_row
from .ledger import PLAIN, DeletionLedger, LedgerEntry

NAMED = {"project": "project_hash", "dataset": "dataset_hash"}  # ledger kinds that name their object by hash


class _Deletions:
    """Ledger entries of one kind, looked up by the value whose hash one of their fields holds."""

    def __init__(self, ledger: DeletionLedger, field: str) -> None:
        self._ledger, self._field = ledger, field
        self._keyed: dict[str, list[tuple[datetime, LedgerEntry]]] = {}
        self._plain: list[tuple[datetime, LedgerEntry]] = []  # written before hashes were keyed
        self.entries: list[LedgerEntry] = []

    def add(self, entry: LedgerEntry) -> None:
        dated = (datetime.fromisoformat(entry["at"]), entry)
        stored = entry.get(self._field) or ""
        (self._plain if stored.startswith(PLAIN) else self._keyed.setdefault(stored, [])).append(dated)
        self.entries.append(entry)

    def first_since(self, value: str, moment: datetime) -> LedgerEntry | None:
        """The earliest entry naming `value` made at or after `moment`: the deletion that took what `value` named
        then. None when every deletion of `value` is older: a later object of that name is another one."""
        keyed = self._keyed.get(self._ledger.hash(value), [])
        since = [(at, e) for at, e in [*keyed, *self._plain] if at >= moment and e.holds(self._field, value)]
        return min(since, key=lambda dated: dated[0])[1] if since else None


def ledgered_deletions(ledger: DeletionLedger, account_id: int, own: bool) -> Ledgered:
    """Whether the person of an e-mail ("user") was erased, or (`own`: the archive is an export of this very
    account) the account deleted the project or dataset of a name or the dataset item of an id, since a moment
    (what names them was made then): the entries name it, and one of them is no older. What was made after the
    erasure or the deletion names another person or object, which an import brings in."""
    named = {kind: _Deletions(ledger, field) for kind, field in NAMED.items()}
    erasures = _Deletions(ledger, "email_hash")
    items: dict[str, datetime] = {}  # an item id's last deletion
    for entry in ledger.entries():
        if entry["kind"] == "user":  # an erasure is the whole instance's
            erasures.add(entry)
        if not own or entry.get("account_id") != account_id or entry["kind"] not in (*NAMED, "dataset_item"):
            continue
        if entry["kind"] in NAMED:
            named[entry["kind"]].add(entry)
        at = datetime.fromisoformat(entry["at"])
        for item_id in entry.get("item_ids", ()):
            items[item_id] = max(at, items.get(item_id, at))

    def deleted(kind: str, object_id: str, created_at: datetime) -> bool:
        if kind == "user":  # the erasure hashed the e-mail in lower case
            return erasures.first_since(object_id.lower(), created_at) is not None
        if kind == "dataset_item":
            last = items.get(object_id)
            return last is not None and created_at <= last
        return named[kind].first_since(object_id, created_at) is not None

    return deleted


def forget_in_imported_audit(
    conn: Connection, ledger: DeletionLedger, account_id: int, imported: dict[str, dict], own: bool
) -> int:
    """Rewrite the audit entries an import brought into the account (`imported`: the new ids of each table's rows,
    by their ids in the archive) that name a person whose erasure the ledger holds, or (`own`: an export of this
    very account) a project the account deleted, after the entry was written. Returns the entries rewritten."""
    entry_ids = imported.get(audit_log.name, {}).values()
    if not entry_ids:
        return 0
    erasures, projects = _Deletions(ledger, "email_hash"), _Deletions(ledger, "project_hash")
    for entry in ledger.entries():
        if entry["kind"] == "user":
            erasures.add(entry)
        elif own and entry["kind"] == "project" and entry.get("account_id") == account_id:
            projects.add(entry)
    if not erasures.entries and not projects.entries:
        return 0
    known = deletion_store.accounts_naming_users(conn, [e["user_id"] for e in erasures.entries], account_id)
    rewritten = 0
    for entry in deletion_store.audit_entries_of(conn, account_id, entry_ids):
        person, project = partial(_erased, erasures, entry["at"]), partial(_deleted_project, projects, entry["at"])
        rewritten += audit.forget_in_entry(conn, entry, person, known, project)
    return rewritten


def _erased(erasures: _Deletions, written: datetime, text: str) -> audit.ErasedPerson | None:
    """The person erased since `written` whose e-mail `text` is (every user's e-mail holds `@`)."""
    if "@" not in text:
        return None
    address = text.lower()
    erasure = erasures.first_since(address, written)
    return None if erasure is None else audit.ErasedPerson(erasure["user_id"], address, erasure["email_hash"])


def _deleted_project(projects: _Deletions, written: datetime, name: str) -> str | None:
    """The hash the receipt holds of the project `name` deleted since `written`."""
    deletion = projects.first_since(name, written)
    return None if deletion is None else deletion["project_hash"]


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
