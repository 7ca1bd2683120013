"""Deleting customer data on request (P18): any object, in bulk by project, tenant or time range, or the
whole account. Data is unreadable when the call returns; the cleanup cycle purges what the database engine
keeps around. Each deletion yields a receipt for the customer and an entry in the deletion ledger, which a
restore of an older backup applies again."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection

from ..errors import Forbidden, InvalidInput, NotFound
from ..store import accounts as account_store
from ..store import deletion as deletion_store
from ..store import lifecycle as lifecycle_store
from ..store.engine import for_writing
from .clock import utc_now
from .credentials import Caller
from .ledger import DeletionLedger, value_hash
from .runtime import Runtime


def receipt_view(row) -> dict:
    return {k: row[k] for k in ("id", "kind", "target", "counts", "requested_at", "unreadable_at", "purged_at")}


class DeletionService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    @property
    def ledger(self) -> DeletionLedger:
        return DeletionLedger(self._rt.settings.deletion_ledger_path())

    def _delete(
        self, account_id: int, kind: str, target: str, entry: dict, work: Callable[[Connection, datetime], dict]
    ):
        requested = utc_now()
        with for_writing(self._rt.engine).begin() as conn:
            counts = work(conn, requested)
            receipt = {
                "id": str(uuid.uuid4()),
                "account_id": account_id,
                "kind": kind,
                "target": target[:200],
                "counts": counts,
                "requested_at": requested,
                "unreadable_at": utc_now(),
                "purged_at": None,
            }
            lifecycle_store.add_receipt(conn, **receipt)
            # in the ledger before the commit: re-applying a deletion that did not happen is harmless
            self.ledger.append(
                {**entry, "at": requested, "account_id": account_id, "kind": kind, "receipt": receipt["id"]}
            )
        return receipt_view(receipt)

    def delete_session(self, caller: Caller, session_id: str) -> dict:
        caller.require("ingest")
        with self._rt.engine.connect() as conn:
            pks = deletion_store.session_pks(
                conn, caller.account_id, ids=[session_id], **self._project_limit(conn, caller)
            )
        if not pks:
            raise NotFound(f"no session {session_id!r}")
        return self._delete(
            caller.account_id,
            "session",
            session_id,
            {"session_ids": [session_id]},
            lambda conn, now: deletion_store.delete_sessions(conn, caller.account_id, pks, now),
        )

    def delete_activity(self, caller: Caller, activity_id: str) -> dict:
        caller.require("ingest")

        def work(conn: Connection, now: datetime) -> dict:
            removed = deletion_store.delete_activity_subtree(conn, caller.account_id, activity_id, now)
            if removed is None:
                raise NotFound(f"no activity {activity_id!r}")
            return {"activities": removed}

        if caller.project:
            raise Forbidden("a project-limited credential deletes whole sessions only")
        return self._delete(caller.account_id, "activity", activity_id, {"activity_ids": [activity_id]}, work)

    def delete_project(self, caller: Caller, name: str) -> dict:
        caller.require("admin")
        if caller.project and caller.project != name:
            raise Forbidden("this credential is limited to another project")
        with self._rt.engine.connect() as conn:
            project_id = account_store.project_id(conn, caller.account_id, name)
        if project_id is None:
            raise NotFound(f"no project {name!r}")

        def work(conn: Connection, now: datetime) -> dict:
            pks = deletion_store.session_pks(conn, caller.account_id, project_id=project_id)
            counts = deletion_store.delete_sessions(conn, caller.account_id, pks, now)
            counts["other_rows"] = deletion_store.delete_by_registry(conn, caller.account_id, "project", project_id)
            deletion_store.delete_project_row(conn, caller.account_id, project_id)
            return counts

        return self._delete(caller.account_id, "project", value_hash(name), {"project_hash": value_hash(name)}, work)

    def delete_tenant(self, caller: Caller, tenant: str) -> dict:
        """An end user's erasure: their sessions, activities and every registered row naming them; their
        share of the usage figures stays in the account's totals under an erased label."""
        caller.require("admin")
        if caller.project:
            raise Forbidden("a tenant's erasure covers every project; use an account-wide credential")

        def work(conn: Connection, now: datetime) -> dict:
            pks = deletion_store.session_pks(conn, caller.account_id, tenant=tenant)
            counts = deletion_store.delete_sessions(conn, caller.account_id, pks, now, keep_aggregates=True)
            deletion_store.erase_tenant_from_aggregates(conn, caller.account_id, tenant)
            counts["other_rows"] = deletion_store.delete_by_registry(conn, caller.account_id, "tenant", tenant)
            return counts

        return self._delete(caller.account_id, "tenant", value_hash(tenant), {"tenant_hash": value_hash(tenant)}, work)

    def delete_time_range(
        self, caller: Caller, since: datetime | None, until: datetime | None, project: str | None
    ) -> dict:
        caller.require("admin")
        if since is None and until is None:
            raise InvalidInput("give since, until or both", field="until")
        if since and until and since >= until:
            raise InvalidInput("since must be before until", field="since")
        project = caller.project or project

        def work(conn: Connection, now: datetime) -> dict:
            project_id = account_store.project_id(conn, caller.account_id, project) if project else None
            if project and project_id is None:
                return {"sessions": 0, "activities": 0}
            pks = deletion_store.session_pks(conn, caller.account_id, project_id=project_id, since=since, before=until)
            return deletion_store.delete_sessions(conn, caller.account_id, pks, now)

        entry = {"since": since, "until": until, "project_hash": value_hash(project) if project else None}
        target = f"{since.isoformat() if since else ''}..{until.isoformat() if until else ''}"
        return self._delete(caller.account_id, "time_range", target, entry, work)

    def delete_account(self, caller: Caller) -> dict:
        if caller.role != "owner":
            raise Forbidden("only an owner of the account, logged in, can delete it")
        receipt = self._delete(
            caller.account_id,
            "account",
            str(caller.account_id),
            {},
            lambda conn, now: deletion_store.delete_account_data(conn, caller.account_id, now),
        )
        self._rt.keys.forget_account(caller.account_id)
        receipt["counts"]["encryption_key_destroyed"] = self._rt.crypto.destroy(caller.account_id)
        return receipt

    def receipts(self, caller: Caller) -> list[dict]:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            return [receipt_view(r) for r in lifecycle_store.receipts(conn, caller.account_id)]

    def receipt(self, caller: Caller, receipt_id: str) -> dict:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            row = lifecycle_store.receipt(conn, caller.account_id, receipt_id)
        if row is None:
            raise NotFound(f"no deletion receipt {receipt_id!r}")
        return receipt_view(row)

    def _project_limit(self, conn: Connection, caller: Caller) -> dict:
        if not caller.project:
            return {}
        return {"project_id": account_store.project_id(conn, caller.account_id, caller.project) or -1}
