"""Support access (P10): operator staff see no customer data, except what a live grant of the customer
covers, read-only, each access in the account's audit log; the customer revokes a grant at once.

A grant covers the whole account or named sessions, gives a reason or ticket reference, and expires
(default 72 hours, at most 30 days). Only an owner or admin, logged in as a person, grants or revokes; a
revocation goes into the deletion ledger too, so that a restore of an older backup keeps it.
"""

from __future__ import annotations

from datetime import timedelta

from ..errors import Forbidden, InvalidInput, NotFound
from ..store import support_access as store
from ..store.tables.support_access import GRANT_SCOPES
from . import audit
from .clock import utc_now
from .credentials import Caller
from .runtime import Runtime
from .session_detail import ALL, ActivityWindow
from .sessions import SessionService

MAX_GRANT_SESSIONS = 100


def _grant_view(row) -> dict:
    item = dict(row)
    item["session_ids"] = item.get("session_ids") or []
    item["live"] = item["revoked_at"] is None and item["expires_at"] > utc_now()
    return item


class SupportAccessService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._sessions = SessionService(runtime)

    # the customer's side
    def grant(self, caller: Caller, scope: str, session_ids: list[str] | None, reason: str, hours: int | None) -> dict:
        caller.require_role("admin", person=True, account_wide=True)
        settings = self._rt.settings
        if scope not in GRANT_SCOPES:
            raise InvalidInput(f"scope must be one of {', '.join(GRANT_SCOPES)}", field="scope")
        ids = sorted(set(session_ids or []))
        if scope == "sessions" and not 1 <= len(ids) <= MAX_GRANT_SESSIONS:
            raise InvalidInput(f"name 1 to {MAX_GRANT_SESSIONS} sessions", field="session_ids")
        if scope == "account" and ids:
            raise InvalidInput("a grant of the whole account names no sessions", field="session_ids")
        if not reason.strip():
            raise InvalidInput("give a reason or ticket reference", field="reason")
        hours = hours or settings.support_grant_default_hours
        if not 1 <= hours <= settings.support_grant_max_days * 24:
            raise InvalidInput(
                f"a grant lasts between 1 hour and {settings.support_grant_max_days} days", field="expires_in_hours"
            )
        now = utc_now()
        values = dict(
            account_id=caller.account_id,
            scope=scope,
            session_ids=ids or None,
            reason=reason.strip(),
            created_by=caller.user_id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
        with self._rt.engine.begin() as conn:
            grant_id = store.insert_grant(conn, **values)
            details = {"scope": scope, "session_ids": ids, "reason": values["reason"], "hours": hours}
            audit.record(conn, caller.account_id, caller, "support.grant", f"grant:{grant_id}", details)
            row = store.get_grant(conn, caller.account_id, grant_id)
        return _grant_view(row)

    def grants(self, caller: Caller) -> list[dict]:
        caller.require_role("admin", account_wide=True)
        with self._rt.engine.connect() as conn:
            return [_grant_view(r) for r in store.list_grants(conn, caller.account_id)]

    def revoke(self, caller: Caller, grant_id: int) -> None:
        caller.require_role("admin", person=True, account_wide=True)
        now = utc_now()
        with self._rt.engine.begin() as conn:
            if not store.revoke_grant(conn, caller.account_id, grant_id, caller.user_id, now):
                raise NotFound(f"no unrevoked grant {grant_id} in this account")
            audit.record(conn, caller.account_id, caller, "support.revoke", f"grant:{grant_id}")
            entry = {"kind": "support_grant_revoked", "at": now, "account_id": caller.account_id, "grant_id": grant_id}
            self._rt.ledger.append({**entry, "user_id": caller.user_id})

    # the staff's side
    def live_grants(self, caller: Caller) -> list[dict]:
        """The grants staff may work under now, across the instance (no content)."""
        caller.require_staff()
        with self._rt.engine.connect() as conn:
            return [dict(r) for r in store.all_live_grants(conn, utc_now())]

    def _covering(self, caller: Caller, account_id: int, session_id: str | None) -> dict:
        caller.require_staff()
        with self._rt.engine.connect() as conn:
            grants = store.live_grants(conn, account_id, utc_now())
        for grant in grants:
            if grant["scope"] == "account" or (session_id and session_id in (grant["session_ids"] or [])):
                return dict(grant)
        if session_id is None and grants:  # a list under grants of named sessions
            return dict(grants[0])
        raise Forbidden("no live support grant of this account covers this")

    def sessions(self, caller: Caller, account_id: int, limit: int, cursor: str | None) -> dict:
        grant = self._covering(caller, account_id, None)
        reader = Caller(account_id, "read")
        if grant["scope"] == "account":
            page = self._sessions.list(reader, {}, None, limit, cursor)
        else:
            with self._rt.engine.connect() as conn:
                grants = store.live_grants(conn, account_id, utc_now())
            ids = sorted({sid for g in grants for sid in (g["session_ids"] or [])})
            items = []
            for sid in ids:
                try:
                    items.append(self._sessions.get(reader, sid, with_activities=False))
                except NotFound:
                    continue
            page = {"items": items, "next_cursor": None}
        details = {"grant_id": grant["id"], "sessions": len(page["items"])}
        audit.record(self._rt, account_id, caller, "support.list_sessions", None, details)
        return page

    def session(self, caller: Caller, account_id: int, session_id: str, window: ActivityWindow = ALL) -> dict:
        """The session with the activities of `window` (all by default); the grant is checked, and the read
        audited, for every page."""
        grant = self._covering(caller, account_id, session_id)
        item = self._sessions.get(Caller(account_id, "read"), session_id, window=window)
        audit.record(self._rt, account_id, caller, "support.read_session", session_id, {"grant_id": grant["id"]})
        return item
