"""The instance operator as a caller: a log-in token of a user whose instance role is `operator`.
Operator routes serve instance-wide work (invoices, policy announcements, statistics, outbox)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Forbidden, Unauthenticated
from ..store import accounts as account_store
from .clock import utc_now
from .credentials import token_hash
from .runtime import Runtime


@dataclass(frozen=True)
class Operator:
    user_id: int
    email: str


class OperatorService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def operator_for_token(self, token: str) -> Operator:
        with self._rt.engine.connect() as conn:
            row = account_store.find_login_token(conn, token_hash(token))
            if row is None or row["expires_at"] <= utc_now() or row["revoked_at"] is not None:
                raise Unauthenticated("the log-in token is unknown or has expired")
            user = account_store.get_user(conn, row["user_id"])
        if user is None or user["disabled"] or user["instance_role"] != "operator":
            raise Forbidden("only the instance operator may do this")
        return Operator(user["id"], user["email"])
