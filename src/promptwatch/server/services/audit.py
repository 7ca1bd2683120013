"""The account's audit log (P10): every access by operator staff to customer data, every support-grant
change, and every administrative action of the account's own members (keys, members, roles, deletions,
exports, settings). The customer reads it and exports it as JSON Lines.

Other features record into it with `record(...)`:

    from promptwatch.server.services import audit
    audit.record(conn_or_runtime, account_id, caller, "export.create", target="export 12", details={...})

`where` is an open Connection (the entry joins that transaction: it is written only if the action is) or
the Runtime / an Engine (the entry is written in its own transaction). `actor` is a Caller or a string
("user:<id>", "key:<key id>", "staff:<id>", "system"). Details must not hold customer content, and
neither target nor details an e-mail: a person is `user:<id>`, an invitation `invitation:<id>`. What names a
person or a project that is then erased or deleted is rewritten with them (`forget_people`, `forget_project`), and
so is an entry an import brings in that names one erased or deleted after it was written (`import_deletions`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import NamedTuple

import orjson
from sqlalchemy import Connection, Engine

from ..errors import InvalidInput
from ..store import deletion as deletion_store
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


# actions whose target is a project's name (None or "(account)" for the account's own setting)
PROJECT_TARGETS = ("settings.retention", "settings.redaction", "settings.redaction_delete")
PROJECT_DETAILS = ("project", "projects")  # details that name projects (keys, members, invitations)


class ErasedPerson(NamedTuple):
    """A person whose e-mail leaves the audit log: their user id, the address in lower case, and the keyed hash of
    it that their erasure's ledger entry holds."""

    user_id: int
    address: str
    email_hash: str


PersonNamed = Callable[[str], ErasedPerson | None]  # the erased person a text of an entry is the e-mail of
ProjectHash = Callable[[str], str | None]  # the hash of the deleted project a text names


def _nobody(_text: str) -> None:
    return None


def forget_people(conn: Connection, people: Iterable[ErasedPerson]) -> int:
    """Erased people's e-mails leave every account's audit log (target and details): the entries name each of them
    `user:<id>` in the accounts that know them by id (they belong to it, or its log names them so already), the
    keyed hash of the e-mail elsewhere (an invitation never accepted). The entries that hold any of the addresses
    are read in one pass, and each is rewritten once for every person it names. Returns the entries rewritten."""
    by_address = {person.address: person for person in people}
    if not by_address:
        return 0
    known = deletion_store.accounts_naming_users(conn, [person.user_id for person in by_address.values()])

    def named(text: str) -> ErasedPerson | None:
        return by_address.get(text.lower())

    entries = deletion_store.audit_entries_holding(conn, list(by_address))
    return sum(forget_in_entry(conn, entry, named, known) for entry in entries)


def forget_project(conn: Connection, account_id: int, name: str, name_hash: str) -> int:
    """A deleted project's name leaves the account's audit log: where an entry names it as its target (a
    setting of the project) or in its details' project lists, it holds the hash the receipt holds. Returns the
    entries rewritten."""
    entries = deletion_store.audit_entries_holding(conn, [name], account_id)
    return sum(forget_in_entry(conn, entry, project={name: name_hash}.get) for entry in entries)


def forget_in_entry(
    conn: Connection,
    entry: Mapping,
    person: PersonNamed = _nobody,
    known: Mapping[int, set[int]] | None = None,
    project: ProjectHash = _nobody,
) -> int:
    """One entry without the erased people and the deleted projects it names. A text of the target or the details
    that is a person's e-mail (`person`) becomes `user:<id>` when `known` (accounts per user id) says the entry's
    account knows them by id, the e-mail's hash otherwise; where the entry names projects (the target of
    PROJECT_TARGETS, the details' PROJECT_DETAILS), a deleted project's name (`project`) becomes its hash.
    1 when the entry is rewritten, 0 when it names none of them."""
    known = known or {}

    def as_person(text: str) -> str | None:
        found = person(text)
        if found is None:
            return None
        return f"user:{found.user_id}" if entry["account_id"] in known.get(found.user_id, ()) else found.email_hash

    target, details = (_replaced(entry[part], as_person) for part in ("target", "details"))
    if entry["action"] in PROJECT_TARGETS:
        target = _replaced(target, project)
    if isinstance(details, dict):
        details = {k: _replaced(v, project) if k in PROJECT_DETAILS else v for k, v in details.items()}
    return _rewrite(conn, entry, target, details)


def _rewrite(conn: Connection, entry: Mapping, target: str | None, details) -> int:
    """1 when the entry is rewritten with this target and details, 0 when they are what it holds."""
    if target == entry["target"] and details == entry["details"]:
        return 0
    deletion_store.rewrite_audit_entry(conn, entry["id"], target, details)
    return 1


def _replaced(value, replacement: Callable[[str], str | None]):
    """`value` (text or JSON) with what `replacement` gives for each of its texts, where it gives one."""
    if isinstance(value, str):
        return replacement(value) or value
    if isinstance(value, list):
        return [_replaced(v, replacement) for v in value]
    if isinstance(value, dict):
        return {k: _replaced(v, replacement) for k, v in value.items()}
    return value


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
