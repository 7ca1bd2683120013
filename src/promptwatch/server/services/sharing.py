"""Sharing by consent (P1): a share link exists only because a member of the account created it. It gives
read-only access to one session or dataset to whoever holds its token, until it expires or is revoked; every view
is counted and the count is shown to the account. Only a hash of the token is stored."""

from __future__ import annotations

import secrets
from datetime import timedelta

from ..errors import Gone, InvalidInput, NotFound
from ..store import sharing as store
from ..store.tables.sharing import SHARE_KINDS
from . import audit
from .clock import utc_now
from .credentials import Caller, token_hash
from .datasets import DatasetService
from .public_address import public_base
from .runtime import Runtime
from .session_detail import ALL, ActivityWindow
from .sessions import SessionService

SHARE_PREFIX = "pws_"
SHARED_PAGE = "/ui/shared/"  # the page people open
SHARED_API = "/api/v1/shared/"  # what the page reads


def _view(row) -> dict:
    item = dict(row)
    item["live"] = item["revoked_at"] is None and item["expires_at"] > utc_now()
    return item


class SharingService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._sessions = SessionService(runtime)
        self._datasets = DatasetService(runtime)

    def create(self, caller: Caller, kind: str, object_id: str, hours: int | None, request_base: str) -> dict:
        """A new link; its `url` and `api_url` are absolute, on the instance's public address."""
        caller.require_role("member")
        if kind not in SHARE_KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(SHARE_KINDS)}", field="kind")
        settings = self._rt.settings
        hours = hours or settings.share_link_default_hours
        if not 1 <= hours <= settings.share_link_max_days * 24:
            raise InvalidInput(
                f"a share link lasts between 1 hour and {settings.share_link_max_days} days", field="expires_in_hours"
            )
        if not self._readable(caller, kind, object_id):
            raise NotFound(f"no {kind} {object_id!r}")
        token = SHARE_PREFIX + secrets.token_urlsafe(24)
        now = utc_now()
        with self._rt.engine.begin() as conn:
            link_id = store.insert_link(
                conn,
                account_id=caller.account_id,
                token_hash=token_hash(token),
                kind=kind,
                object_id=object_id,
                created_by=caller.actor,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
                views=0,
            )
            audit.record(conn, caller.account_id, caller, "share.create", f"{kind}:{object_id}", {"link": link_id})
            row = store.get_link(conn, caller.account_id, link_id)
        base = public_base(settings, request_base)
        return {**_view(row), "token": token, "url": base + SHARED_PAGE + token, "api_url": base + SHARED_API + token}

    def list(self, caller: Caller) -> list[dict]:
        caller.require_role("viewer")
        with self._rt.engine.connect() as conn:
            rows = store.list_links(conn, caller.account_id)
        if caller.project is not None:  # a project-limited caller sees the links of the sessions it can read
            rows = [r for r in rows if self._readable(caller, r["kind"], r["object_id"])]
        return [_view(r) for r in rows]

    def _readable(self, caller: Caller, kind: str, object_id: str) -> bool:
        if kind == "dataset":
            return self._datasets.exists(caller, object_id)
        try:
            self._sessions.get(caller, object_id, with_activities=False)
            return True
        except NotFound:
            return False

    def revoke(self, caller: Caller, link_id: int) -> None:
        """Revoked at once; the deletion ledger keeps the revocation (written just before its commit) through a
        restore."""
        caller.require_role("member")
        now = utc_now()
        with self._rt.engine.begin() as conn:
            row = store.get_link(conn, caller.account_id, link_id)
            hidden = caller.project is not None and row is not None
            if row is None or (hidden and not self._readable(caller, row["kind"], row["object_id"])):
                raise NotFound(f"no share link {link_id}")
            if not store.revoke_link(conn, caller.account_id, link_id, now):
                raise NotFound(f"share link {link_id} is already revoked")
            audit.record(
                conn, caller.account_id, caller, "share.revoke", f"{row['kind']}:{row['object_id']}", {"link": link_id}
            )
            self._rt.ledger.append(
                {"kind": "share_link_revoked", "at": now, "account_id": caller.account_id, "link_id": link_id}
            )

    def open(self, token: str, window: ActivityWindow = ALL) -> dict:
        """The public read: no other credential. A shared session's activities are those of `window` (all by
        default); the link is checked for every page, and a view is counted when it is opened (the first
        page), not for each page read after."""
        now = utc_now()
        with self._rt.engine.begin() as conn:
            link = store.find_by_token(conn, token_hash(token))
            if link is None:
                raise NotFound("unknown share link")
            if link["revoked_at"] is not None or link["expires_at"] <= now:
                raise Gone("this share link was revoked or has expired")
            if link["kind"] == "session":
                window.check(link["object_id"])  # a bad page is no view
            if link["kind"] != "session" or window.cursor is None:
                store.count_view(conn, link["id"], now)
        if link["kind"] == "dataset":
            dataset = self._datasets.shared(link["account_id"], link["object_id"])
            return {"kind": "dataset", "expires_at": link["expires_at"], "dataset": dataset}
        session = self._sessions.get(Caller(link["account_id"], "read"), link["object_id"], window=window)
        session.pop("tracking_tenant", None)  # the account's end-user label is not part of what was shared
        return {"kind": link["kind"], "expires_at": link["expires_at"], "session": session}
