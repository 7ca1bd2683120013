"""Deleting customer data on request (P18): any object, in bulk by project, tenant or time range, or the
whole account. Data is unreadable when the call returns; the cleanup cycle purges what the database engine
keeps around. A bulk deletion first removes its sessions in transactions of bounded size (tombstones first),
then does the rest of its work in one short transaction with the receipt. Each deletion yields a receipt for
the customer and an entry in the deletion ledger (ids and keyed hashes, no identifying values), which
`reapply_deletion` applies again after a restore of an older backup.

On PostgreSQL a deletion's transaction may lose a lock race to a concurrent writer (ingest, most often): it is
run again as the batch writer writes a job again, and when it still loses, the caller gets `Overloaded` (503
with Retry-After), never a 500 (`lock_races`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection

from ..errors import Forbidden, InvalidInput, NotFound
from ..store import accounts as account_store
from ..store import datasets as dataset_store
from ..store import deletion as deletion_store
from ..store import lifecycle as lifecycle_store
from ..store import people as people_store
from ..store import prompt_cache as cache_store
from ..store.archive_rows import holds_tenant
from . import audit
from .clock import utc_now
from .credentials import Caller, limited_project_id
from .dataset_deletion import DATASET_WORK, DatasetDeletions, delete_project_share_links
from .ledger import DeletionLedger, LedgerEntry
from .lock_races import again_after_lock_races
from .prompt_loop_deletion import PROMPT_LOOP_WORK, PromptLoopDeletions
from .retention import RETENTION_WORK
from .runtime import Runtime
from .user_erasure import USER_WORK, UserErasures, erase_users, erasure_entry


def receipt_view(row) -> dict:
    return {k: row[k] for k in ("id", "kind", "target", "counts", "requested_at", "unreadable_at", "purged_at")}


# The work of each kind of deletion, given the ledger entry that describes it.
def _sessions(conn: Connection, account_id: int, entry: dict, now: datetime) -> dict:
    pks = deletion_store.session_pks(conn, account_id, ids=entry["session_ids"], project_id=entry.get("project_id"))
    return deletion_store.delete_sessions(conn, account_id, pks, now)


def _activities(conn: Connection, account_id: int, entry: dict, now: datetime) -> dict:
    removed = [deletion_store.delete_activity_subtree(conn, account_id, a, now) for a in entry["activity_ids"]]
    return {"activities": sum(r or 0 for r in removed)}


def _projects(conn: Connection, account_id: int, entry: LedgerEntry) -> list:
    return [p for p in account_store.list_projects(conn, account_id) if entry.holds("project_hash", p["name"])]


def _project_ids(conn: Connection, account_id: int, entry: LedgerEntry) -> list[int]:
    return [project["id"] for project in _projects(conn, account_id, entry)]


def _project(conn: Connection, account_id: int, entry: dict, now: datetime) -> dict:
    """The project's sessions and every registered row of it (its datasets, retention policy, redaction rules),
    its datasets' share links, the limits it put on people (`remove_project_limits`), the semantic cache's
    namespaces of the project (`<project>`, `<project>.*`: entries and counts), and its name in the audit log
    (the receipt's hash instead)."""
    counts = {"sessions": 0, "activities": 0, "other_rows": 0}
    for project in _projects(conn, account_id, entry):
        pks = deletion_store.session_pks(conn, account_id, project_id=project["id"])
        # the project's roll-ups all go with its row below, locked in one order: none is taken row by row here
        for name, value in deletion_store.delete_sessions(conn, account_id, pks, now, keep_aggregates=True).items():
            counts[name] += value
        counts["other_rows"] += delete_project_share_links(conn, account_id, project["id"])  # its datasets' links
        counts["other_rows"] += deletion_store.delete_by_registry(conn, account_id, "project", project)
        counts["other_rows"] += deletion_store.remove_project_limits(conn, account_id, project)
        counts["other_rows"] += cache_store.clear_project(conn, account_id, project["name"])
        audit.forget_project(conn, account_id, project["name"], entry["project_hash"])
        deletion_store.delete_project_row(conn, account_id, project["id"])
    return counts


def _tenant_names(conn: Connection, account_id: int, entry: dict) -> list[str]:
    return [t for t in deletion_store.tenants(conn, account_id) if entry.holds("tenant_hash", t)]


def _tenant(conn: Connection, account_id: int, entry: dict, now: datetime) -> dict:
    """`copied_session_ids`, `copied_item_pks`: what `_tenant_copies` found before the bulk step deleted the
    sessions (not in the ledger: re-applied after a restore, the sessions are there again)."""
    counts = {"sessions": 0, "activities": 0, "other_rows": 0}
    counts["other_rows"] += dataset_store.delete_copies(
        conn,
        account_id,
        session_ids=entry.get("copied_session_ids", ()),
        item_pks=entry.get("copied_item_pks", ()),
    )
    for tenant in _tenant_names(conn, account_id, entry):
        counts["other_rows"] += dataset_store.delete_copies(conn, account_id, tenant)  # while its sessions exist
        pks = deletion_store.session_pks(conn, account_id, tenant=tenant)
        for name, value in deletion_store.delete_sessions(conn, account_id, pks, now, keep_aggregates=True).items():
            counts[name] += value
        deletion_store.erase_tenant_from_aggregates(conn, account_id, tenant)
        counts["other_rows"] += deletion_store.delete_by_registry(conn, account_id, "tenant", tenant)
    return counts


def _time_range(conn: Connection, account_id: int, entry: dict, now: datetime) -> dict:
    return deletion_store.delete_sessions(conn, account_id, _time_range_sessions(conn, account_id, entry), now)


def _account(conn: Connection, account_id: int, _entry: dict, now: datetime) -> dict:
    """The account's data. The people erased with it are found by `_carry_out` and ledgered one by one
    (`user_erasure.py`): re-applied after a restore, this erases nobody."""
    return deletion_store.delete_account_data(conn, account_id, now)


# The sessions each bulk kind deletes, and whether their share of the usage roll-ups stays.
def _project_sessions(conn: Connection, account_id: int, entry: dict) -> list[int]:
    return [
        pk
        for project_id in _project_ids(conn, account_id, entry)
        for pk in deletion_store.session_pks(conn, account_id, project_id=project_id)
    ]


def _tenant_sessions(conn: Connection, account_id: int, entry: dict) -> list[int]:
    return [
        pk
        for tenant in _tenant_names(conn, account_id, entry)
        for pk in deletion_store.session_pks(conn, account_id, tenant=tenant)
    ]


def _tenant_copies(conn: Connection, account_id: int, entry: dict) -> dict:
    """Dataset items name the session and activity they were copied from by id only: the tenant's session ids
    and the items copied from its calls, taken before the bulk step deletes the sessions."""
    session_ids, item_pks = [], []
    for tenant in _tenant_names(conn, account_id, entry):
        ids, pks = dataset_store.tenant_sources(conn, account_id, tenant)
        session_ids += ids
        item_pks += pks
    return {"copied_session_ids": session_ids, "copied_item_pks": item_pks}


def _time_range_sessions(conn: Connection, account_id: int, entry: dict) -> list[int]:
    since, until = (datetime.fromisoformat(v) if isinstance(v, str) else v for v in (entry["since"], entry["until"]))
    project_ids = _project_ids(conn, account_id, entry) if entry.get("project_hash") else [None]
    return [
        pk
        for project_id in project_ids
        for pk in deletion_store.session_pks(conn, account_id, project_id=project_id, since=since, before=until)
    ]


BULK_SESSIONS = {
    "project": (_project_sessions, False),
    "tenant": (_tenant_sessions, True),
    "time_range": (_time_range_sessions, False),
    "account": (lambda conn, account_id, _entry: deletion_store.session_pks(conn, account_id), True),
}


WORK = {
    "session": _sessions,
    "activity": _activities,
    "project": _project,
    "tenant": _tenant,
    "time_range": _time_range,
    "account": _account,
    **PROMPT_LOOP_WORK,
    **DATASET_WORK,
    **USER_WORK,
    **RETENTION_WORK,
}


def reapply_deletion(conn: Connection, entry: LedgerEntry, now: datetime) -> dict:
    """Apply a ledger entry again (after a restore); deleting what is already gone changes nothing."""
    return WORK[entry["kind"]](conn, entry["account_id"], entry, now)


class DeletionService(PromptLoopDeletions, DatasetDeletions, UserErasures):
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    @property
    def ledger(self) -> DeletionLedger:
        return self._rt.ledger

    def _delete(self, caller: Caller, kind: str, target: str, entry: dict) -> dict:
        requested = utc_now()
        entry = {**entry, "at": requested, "account_id": caller.account_id, "kind": kind}
        receipt_id = str(uuid.uuid4())
        # in the ledger before the work: re-applying a deletion that did not happen is harmless, and the
        # cleanup cycle finishes one the server stopped in the middle of (`finish_interrupted`)
        self.ledger.append(
            {**{k: v for k, v in entry.items() if k != "project_id"}, "receipt": receipt_id, "target": target[:200]}
        )
        return receipt_view(self._carry_out(entry, receipt_id, target, caller, requested))

    def _carry_out(self, entry: dict, receipt_id: str, target: str, actor: Caller | str, requested) -> dict:
        """The work of a ledger entry, then its receipt and audit entry in the same short transaction. An
        account's deletion erases the people whose only account it was, each ledgered before the commit."""
        entry = self.ledger.entry(entry)
        account_id, kind = entry["account_id"], entry["kind"]
        counts = self._delete_bulk_sessions(account_id, kind, entry, requested)
        receipt = again_after_lock_races(
            lambda: self._work_and_receipt(entry, receipt_id, target, actor, requested, dict(counts)), "a deletion"
        )
        if kind == "account":
            self._rt.keys.forget_account(account_id)
            receipt["counts"]["encryption_key_destroyed"] = self._rt.crypto.destroy(account_id)
        return receipt

    def _work_and_receipt(self, entry, receipt_id: str, target: str, actor: Caller | str, requested, counts) -> dict:
        """The kind's own work, its receipt and its audit entry, in one transaction."""
        account_id, kind = entry["account_id"], entry["kind"]
        # an account's deletion takes the cache's lookup counts too
        transaction = self._counts_settled(account_id, kind, entry)
        with transaction as conn:
            # the project its requester is limited to, read before the work takes the project
            project_id = limited_project_id(conn, actor) if isinstance(actor, Caller) else None
            people = people_store.users_only_in(conn, account_id) if kind == "account" else []
            erasures = [erasure_entry(self.ledger, user) for user in people]
            work = WORK[kind](conn, account_id, entry, requested)  # its memberships go
            for name, value in [*work.items(), *erase_users(conn, erasures).items()]:
                counts[name] = counts.get(name, 0) + value
            receipt = {
                "id": receipt_id,
                "account_id": account_id,
                "kind": kind,
                "target": target[:200],
                "counts": counts,
                "requested_at": requested,
                "unreadable_at": utc_now(),
                "purged_at": None,
            }
            lifecycle_store.add_receipt(conn, **receipt, project_id=project_id)
            audit.record(conn, account_id, actor, f"deletion.{kind}", target[:200], {"receipt": receipt_id})
            for erasure in erasures:
                self.ledger.append(erasure)
        return receipt

    def _counts_settled(self, account_id: int, kind: str, entry: LedgerEntry):
        """The transaction of the deletion: one that drops the cache's counts held in memory of what it takes
        (an account's, a project's namespaces') when it commits, so that none is written after it."""
        if kind == "account":
            return self._rt.cache_tally.settled(account_id)
        if kind == "project":
            with self._rt.engine.connect() as conn:
                names = [project["name"] for project in _projects(conn, account_id, entry)]
            if names:
                return self._rt.cache_tally.settled(account_id, project=names[0])
        return self._rt.engine.begin()

    def finish_interrupted(self, older_than: datetime, newer_than: datetime) -> int:
        """Bulk deletions the ledger holds but whose receipt was never written (the server stopped in the
        middle) are carried out again, receipt included; returns how many."""
        finished = 0
        for entry in self.ledger.entries(after=newer_than):
            requested = datetime.fromisoformat(entry["at"])
            if entry["kind"] not in BULK_SESSIONS or requested > older_than or "receipt" not in entry:
                continue
            with self._rt.engine.connect() as conn:
                if lifecycle_store.receipt(conn, entry["account_id"], entry["receipt"]) is not None:
                    continue
            self._carry_out(entry, entry["receipt"], entry.get("target", entry["kind"]), "system", requested)
            finished += 1
        return finished

    def _delete_bulk_sessions(self, account_id: int, kind: str, entry: dict, now: datetime) -> dict:
        """A bulk kind's sessions, in transactions of bounded size; the kind's own work finds what came since.
        A tenant's entry gets what `_tenant` needs once the sessions are gone (`_tenant_copies`)."""
        if kind not in BULK_SESSIONS:
            return {}
        doomed, keep_aggregates = BULK_SESSIONS[kind]
        with self._rt.engine.connect() as conn:
            pks = doomed(conn, account_id, entry)
            if kind == "tenant":
                entry.update(_tenant_copies(conn, account_id, entry))
        limit = self._rt.settings.deletion_chunk_activities
        return deletion_store.delete_sessions_in_chunks(
            self._rt.engine,
            account_id,
            pks,
            now,
            keep_aggregates,
            limit,
            run=lambda transaction: again_after_lock_races(transaction, "a deletion"),
        )

    def delete_session(self, caller: Caller, session_id: str) -> dict:
        caller.require("ingest")
        with self._rt.engine.connect() as conn:
            project_id = limited_project_id(conn, caller)
            if not deletion_store.session_pks(conn, caller.account_id, ids=[session_id], project_id=project_id):
                raise NotFound(f"no session {session_id!r}")
        return self._delete(caller, "session", session_id, {"session_ids": [session_id], "project_id": project_id})

    def delete_activity(self, caller: Caller, activity_id: str) -> dict:
        caller.require("ingest")
        if caller.project:
            raise Forbidden("a project-limited credential deletes whole sessions only")
        with self._rt.engine.connect() as conn:
            if deletion_store.activity_subtree(conn, caller.account_id, activity_id) is None:
                raise NotFound(f"no activity {activity_id!r}")
        return self._delete(caller, "activity", activity_id, {"activity_ids": [activity_id]})

    def delete_project(self, caller: Caller, name: str) -> dict:
        caller.require("admin")
        if caller.project and caller.project != name:
            raise Forbidden("this credential is limited to another project")
        with self._rt.engine.connect() as conn:
            if account_store.project_id(conn, caller.account_id, name) is None:
                raise NotFound(f"no project {name!r}")
        return self._delete(caller, "project", self.ledger.hash(name), {"project_hash": self.ledger.hash(name)})

    def delete_tenant(self, caller: Caller, tenant: str) -> dict:
        """An end user's erasure: their sessions, activities and every registered row naming them; their
        share of the usage figures stays in the account's totals under an erased label."""
        caller.require("admin")
        if caller.project:
            raise Forbidden("a tenant's erasure covers every project; use an account-wide credential")
        with self._rt.engine.connect() as conn:  # what an export of the tenant would hold: a 404 as there
            if not holds_tenant(conn, caller.account_id, tenant):
                raise NotFound(
                    f"account {caller.account_id} holds nothing about tenant {tenant!r} (names are exact); "
                    "nothing erased",
                    field="tenant",
                )
        return self._delete(caller, "tenant", self.ledger.hash(tenant), {"tenant_hash": self.ledger.hash(tenant)})

    def delete_time_range(
        self, caller: Caller, since: datetime | None, until: datetime | None, project: str | None
    ) -> dict:
        """The sessions started in [since, until), of one project when `project` is given (a project-limited
        caller's own, whether named or not); the receipt's target ends with the project's hash."""
        caller.require_role("admin", account_wide=project not in (None, caller.project))
        if since is None and until is None:
            raise InvalidInput("give since, until or both", field="until")
        if since and until and since >= until:
            raise InvalidInput("since must be before until", field="since")
        project = caller.project or project
        project_hash = self.ledger.hash(project) if project else None
        entry = {"since": since, "until": until, "project_hash": project_hash}
        target = f"{since.isoformat() if since else ''}..{until.isoformat() if until else ''}"
        if project_hash:
            target += f" {project_hash}"
        return self._delete(caller, "time_range", target, entry)

    def delete_account(self, caller: Caller) -> dict:
        caller.require_role("owner", person=True, account_wide=True)
        return self._delete(caller, "account", str(caller.account_id), {})

    def receipts(self, caller: Caller) -> list[dict]:
        """A project-limited caller sees the receipts of deletions made within its project's limit only (listed
        under `limited_project_id`)."""
        caller.require("read")
        with self._rt.engine.connect() as conn:
            project_id = limited_project_id(conn, caller)
            return [receipt_view(r) for r in lifecycle_store.receipts(conn, caller.account_id, project_id)]

    def receipt(self, caller: Caller, receipt_id: str) -> dict:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            row = lifecycle_store.receipt(conn, caller.account_id, receipt_id, limited_project_id(conn, caller))
        if row is None:
            raise NotFound(f"no deletion receipt {receipt_id!r}")
        return receipt_view(row)
