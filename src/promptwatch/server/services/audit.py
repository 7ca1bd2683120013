"""The account's audit log (P10): every access by operator staff to customer data, every support-grant
change, and every administrative action of the account's own members (keys, members, roles, deletions,
exports, settings). The customer reads it and exports it as JSON Lines.

Other features record into it with `record(...)`:

    from promptwatch.server.services import audit
    audit.record(conn_or_runtime, account_id, caller, "export.create", target="export 12", details={...})

`where` is an open Connection (the entry joins that transaction: it is written only if the action is) or
the Runtime / an Engine (the entry is written in its own transaction). `actor` is a Caller or a string
("user:<id>", "key:<key id>", "staff:<id>", "system"). Details must not hold customer content.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from sqlalchemy import Connection, Engine

from ..errors import InvalidInput
from ..store import support_access as store
from .clock import utc_now
from .credentials import Caller
from .runtime import Runtime

MAX_PAGE = 500


def record(
    where: Connection | Runtime | Engine,
    account_id: int,
    actor: Caller | str,
    action: str,
    target: str | None = None,
    details: dict | None = None,
) -> None:
    """Append one entry to the account's audit log."""
    values = {
        "account_id": account_id,
        "at": utc_now(),
        "actor": (actor.actor if isinstance(actor, Caller) else str(actor))[:200],
        "action": action[:100],
        "target": None if target is None else str(target)[:500],
        "details": details or None,
    }
    if isinstance(where, Connection):
        store.insert_audit(where, **values)
        return
    engine = where.engine if isinstance(where, Runtime) else where
    with engine.begin() as conn:
        store.insert_audit(conn, **values)


def _entry(row) -> dict:
    return {str(key): value for key, value in row.items()}  # plain str keys (orjson refuses str subclasses)


class AuditService:
    """The customer's view of its audit log: owners and admins read and export it."""

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def list(self, caller: Caller, limit: int, before: int | None, action: str | None) -> dict:
        caller.require_role("admin", account_wide=True)
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
        with self._rt.engine.connect() as conn:
            rows = store.list_audit(conn, caller.account_id, limit + 1, before, action)
        more = len(rows) > limit
        rows = rows[:limit]
        return {"items": [_entry(r) for r in rows], "next_before": rows[-1]["id"] if more and rows else None}

    def export_lines(self, caller: Caller) -> Iterator[bytes]:
        """JSON Lines, oldest first; the export itself is an audited action."""
        caller.require_role("admin", account_wide=True)
        record(self._rt, caller.account_id, caller, "audit.export")
        account_id = caller.account_id

        def lines() -> Iterator[bytes]:
            with self._rt.engine.connect() as conn:
                for row in store.iter_audit(conn, account_id):
                    yield orjson.dumps(_entry(row)) + b"\n"

        return lines()
