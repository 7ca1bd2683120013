"""The instance's operator staff (P16): people with an instance role and no membership. They see the
instance — health, accounts without content, volumes per account, traffic per day — and no customer
data unless a support grant covers it (`support_access`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..errors import Conflict, InvalidInput
from ..store import access_log as access_log_store
from ..store import accounts as account_store
from ..store import instance as store
from ..store.tables.accounts import INSTANCE_ROLES
from .accounts import check_email
from .clock import utc_now
from .credentials import Caller
from .money import money
from .operations import readiness
from .runtime import Runtime


class StaffService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def create_staff(self, email: str, password: str, role: str = "staff") -> int:
        """A person of the operator (no membership); for the CLI and tests, not an HTTP route."""
        check_email(email)
        if role not in INSTANCE_ROLES:
            raise InvalidInput(f"role must be one of {', '.join(INSTANCE_ROLES)}", field="role")
        with self._rt.engine.begin() as conn:
            if account_store.find_user_by_email(conn, email) is not None:
                raise Conflict("a user with this e-mail exists")
            return account_store.create_user(conn, email, self._rt.passwords.hash(password), utc_now(), role)

    def health(self, caller: Caller) -> dict:
        caller.require_staff()
        ready, body = readiness(self._rt)
        with self._rt.engine.connect() as conn:
            counts = store.instance_counts(conn)
        return {"ready": ready, **body, "database": self._rt.engine.dialect.name, **counts}

    def accounts(self, caller: Caller) -> list[dict]:
        """Accounts by id, name, kind, plan and member count: no content."""
        caller.require_staff()
        with self._rt.engine.connect() as conn:
            return [dict(r) for r in store.list_accounts(conn)]

    def usage(self, caller: Caller, since: datetime | None) -> list[dict]:
        """Volumes per account: sessions and activities stored, LLM calls, tokens and cost since `since`."""
        caller.require_staff()
        with self._rt.engine.connect() as conn:
            accounts = store.list_accounts(conn)
            sessions = store.sessions_per_account(conn)
            activities = store.activities_per_account(conn)
            llm = store.llm_usage_per_account(conn, since)
        out = []
        for account in accounts:
            calls = llm.get(account["id"])
            out.append(
                {
                    "account_id": account["id"],
                    "sessions": sessions.get(account["id"], 0),
                    "activities": activities.get(account["id"], 0),
                    "llm_calls": int(calls["llm_calls"] or 0) if calls else 0,
                    "tokens": int(calls["tokens"] or 0) if calls else 0,
                    "cost": money(calls["cost"] or 0) if calls else 0.0,
                }
            )
        return out

    def traffic(self, caller: Caller, days: int) -> list[dict]:
        """Requests per day from the access log, with no account in them."""
        caller.require_staff()
        if not 1 <= days <= 366:
            raise InvalidInput("days must be between 1 and 366", field="days")
        since = utc_now() - timedelta(days=days)
        with self._rt.engine.connect() as conn:
            rows = access_log_store.daily_volumes(conn, since)
        return [
            {
                "day": str(r["day"]),
                "requests": int(r["requests"]),
                "errors": int(r["errors"] or 0),
                "mean_latency_ms": round(float(r["mean_latency_ms"] or 0), 2),
            }
            for r in rows
        ]
