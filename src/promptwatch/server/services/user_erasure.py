"""Erasing a person (P18): their user row and everything that names them (`store/people.py` `erase_user`).

It happens with the account when the account was their only one (`DeletionService._carry_out` finds them
before the account's memberships go), or at their own request (`DELETE /api/v1/me`) or the operator's
(`promptwatch users delete`). A person who is the only owner of an account is refused until the account is
deleted or has another owner: an account always keeps one. Their e-mail leaves every account's audit log too
(`audit.forget_people`).

Every person erased, alone or with an account, gets a ledger entry of their own once the erasure is
committed (the ledger never names an erasure that did not happen): the user's id and a keyed hash of their
e-mail, never the address. A restore erases the user of that id again only while their e-mail matches the
hash; re-applying an account's deletion erases nobody by itself, since who had no other account then is not
what the backup's memberships say.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, RowMapping

from ..errors import Conflict, Forbidden, NotFound, Unauthenticated
from ..store import accounts as account_store
from ..store import members as member_store
from ..store import people as people_store
from . import audit
from .clock import utc_now
from .credentials import token_hash
from .ledger import DeletionLedger, LedgerEntry


def erase_users(conn: Connection, erasures: Iterable[dict]) -> dict[str, int]:
    """Erase the users these ledger entries name (`erasure_entry`); the rows removed, per table. The audit
    entries that hold their e-mails name them by id, or by the entry's hash of the e-mail, in one pass over the log
    for them all (`audit.forget_people`)."""
    found = {}  # the users still there, by id, with their erasure's hash of the e-mail
    for erasure in erasures:
        user = account_store.get_user(conn, erasure["user_id"])
        if user is not None:
            found.setdefault(user["id"], audit.ErasedPerson(user["id"], user["email"].lower(), erasure["email_hash"]))
    audit.forget_people(conn, found.values())
    counts: dict[str, int] = {}
    for user_id in found:
        for name, value in people_store.erase_user(conn, user_id).items():
            counts[name] = counts.get(name, 0) + value
    return counts


def erasure_entry(ledger: DeletionLedger, user: RowMapping) -> dict:
    """The ledger entry of a person's erasure (no receipt row to restore: it names no account)."""
    fields = {"kind": "user", "account_id": None, "at": utc_now(), "user_id": user["id"]}
    return {**fields, "email_hash": ledger.hash(user["email"].lower()), "target": f"user:{user['id']}"}


def _user(conn: Connection, _account_id: None, entry: LedgerEntry, _now: datetime) -> dict:
    user = account_store.get_user(conn, entry["user_id"])
    if user is None or not entry.holds("email_hash", user["email"].lower()):
        return {}
    return erase_users(conn, [entry])


USER_WORK = {"user": _user}


class UserErasures:
    """The erasure methods of `DeletionService` (which provides `_rt` and `ledger`)."""

    def erase_me(self, login_token: str) -> dict:
        """The logged-in person's own erasure; operator staff are erased by the operator."""
        with self._rt.engine.connect() as conn:
            row = account_store.find_login_token(conn, token_hash(login_token))
            if row is None or row["expires_at"] <= utc_now():
                raise Unauthenticated("the log-in token is unknown or has expired")
            user = account_store.get_user(conn, row["user_id"])
        if user["instance_role"]:
            raise Forbidden("operator staff are erased by the operator: promptwatch users delete")
        return self._erase(user, f"user:{user['id']}")

    def erase_user(self, email: str) -> dict:
        """The operator's erasure of a user, staff included (`promptwatch users delete`)."""
        with self._rt.engine.connect() as conn:
            user = account_store.find_user_by_email(conn, email)
        if user is None:
            raise NotFound(f"no user {email}")
        return self._erase(user, "command line")

    def _erase(self, user: RowMapping, actor: str) -> dict:
        """Refused while the user is the only owner of an account; otherwise carried out with an audit entry in
        every account they belonged to, then ledgered. Returns the receipt."""
        requested, receipt_id, target = utc_now(), str(uuid.uuid4()), f"user:{user['id']}"
        with self._rt.engine.begin() as conn:
            accounts = account_store.memberships_of(conn, user["id"])
            for account in accounts:
                if account["role"] == "owner" and member_store.count_owners(conn, account["account_id"]) <= 1:
                    raise Conflict(
                        f"{user['email']} is the only owner of account {account['account_id']} "
                        f"({account['name']}): delete the account or make another member its owner first"
                    )
            erasure = erasure_entry(self.ledger, user)
            counts = erase_users(conn, [erasure])
            for account in accounts:
                audit.record(conn, account["account_id"], actor, "deletion.user", target, {"receipt": receipt_id})
            self.ledger.append(erasure)
        return {
            "id": receipt_id,
            "kind": "user",
            "target": target,
            "counts": counts,
            "requested_at": requested,
            "unreadable_at": utc_now(),
            "purged_at": None,
        }
