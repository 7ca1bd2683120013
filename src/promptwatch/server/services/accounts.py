"""Accounts, people and log-in: the first-run bootstrap, password log-in with expiring bearer tokens (failed
attempts limited per e-mail and client address), temporary sandbox keys, members and API keys of an account."""

from __future__ import annotations

import math
import secrets
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from ..errors import Forbidden, InvalidInput, NotFound, RateLimited, Unauthenticated
from ..store import accounts as account_store
from ..store import members as member_store
from ..store import people as people_store
from ..store.locks import holding
from . import audit
from .clock import utc_now
from .credentials import (
    INSTANCE_ROLES,
    NO_SCOPE,
    TEMP_PREFIX,
    Caller,
    choose_project,
    decode_key,
    login_expiry,
    token_hash,
)
from .public_forms import RateLimiter, client_network
from .runtime import Runtime


@dataclass(frozen=True)
class Bootstrap:
    """What the first run creates; the password and key are shown once."""

    operator_email: str
    owner_email: str
    owner_password: str
    account_id: int
    api_key: str


ROLE_SCOPE = {"owner": "admin", "admin": "admin", "member": "ingest", "viewer": "read"}


class AccountService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._temp_requests: dict[str, deque] = defaultdict(deque)
        self._temp_lock = threading.Lock()
        self._failed_logins = RateLimiter(runtime, runtime.settings.login_window_minutes * 60)

    def is_bootstrapped(self) -> bool:
        with self._rt.engine.connect() as conn:
            return account_store.count_accounts(conn) > 0

    def has_account(self, account_id: int) -> bool:
        with self._rt.engine.connect() as conn:
            return account_store.get_account(conn, account_id) is not None

    def bootstrap_first_run(self, owner_email: str) -> Bootstrap | None:
        """`bootstrap`, unless the store has an account already (None then). Servers started at once on one
        PostgreSQL take turns under a lock: the second waits, then finds the first one's account."""
        with holding(self._rt.engine, "first-run-bootstrap"):
            if self.is_bootstrapped():
                return None
            return self.bootstrap(owner_email=owner_email)

    def bootstrap(self, owner_email: str = "owner@localhost", account_name: str = "Local") -> Bootstrap:
        """Create the instance operator, a first account with its owner, and an ingest key."""
        now = utc_now()
        password = secrets.token_urlsafe(12)
        operator_email = "operator@localhost"
        with self._rt.engine.begin() as conn:
            account_store.create_user(
                conn, operator_email, self._rt.passwords.hash(secrets.token_urlsafe(16)), now, "operator"
            )
            account_id = account_store.create_account(conn, account_name, now)
            owner = account_store.create_user(conn, owner_email, self._rt.passwords.hash(password), now)
            account_store.add_membership(conn, account_id, owner, "owner", now)
        self._new_account_keys(account_id)
        key = self._rt.keys.create(account_id, scope="ingest", name="first key", created_by=owner)
        return Bootstrap(operator_email, owner_email, password, account_id, key)

    def create_account(self, name: str, owner_email: str, owner_password: str) -> int:
        now = utc_now()
        check_email(owner_email)
        with self._rt.engine.begin() as conn:  # reads, then writes: take the SQLite write lock first
            existing = account_store.find_user_by_email(conn, owner_email)
            if existing is not None:
                user_id = existing["id"]
            else:
                user_id = account_store.create_user(conn, owner_email, self._rt.passwords.hash(owner_password), now)
            account_id = account_store.create_account(conn, name, now)
            account_store.add_membership(conn, account_id, user_id, "owner", now)
        self._new_account_keys(account_id)
        return account_id

    def _new_account_keys(self, account_id: int) -> None:
        if self._rt.settings.encrypt_new_accounts:
            self._rt.crypto.enable(account_id)

    # log-in with e-mail and password: a bearer token, never a cookie (P13)
    def login(self, email: str, password: str, client: str = "local") -> dict:
        """`client`: the caller's address. Every attempt is counted before the password is checked (so that
        attempts sent together cannot all pass a check made before any is counted); a right one, and one
        refused unchecked, are uncounted. Over a limit the password is not checked (the answer would tell a
        right one). For an unknown e-mail (or a user without a password) the password is checked against a
        dummy hash all the same, so that the answer takes as long."""
        subjects, limits = zip(*self._login_limits(email, client))
        hits = self._failed_logins.hit(*subjects)
        if any(count > most for count, most in zip(hits.counts, limits)):
            self._failed_logins.take_back(hits)  # refused unchecked: no failure to count
            retry_after = self._failed_logins.seconds_left()
            minutes = math.ceil(retry_after / 60)
            raise RateLimited(f"too many failed log-ins; try again in {minutes} min", retry_after=retry_after)
        with self._rt.engine.connect() as conn:
            user = account_store.find_user_by_email(conn, email)
        password_hash = user["password_hash"] if user and user["password_hash"] else self._dummy_hash
        if not self._rt.passwords.verify(password_hash, password) or user is None or user["disabled"]:
            raise Unauthenticated("wrong e-mail or password")
        self._failed_logins.take_back(hits)
        token = "pwt_" + secrets.token_urlsafe(32)
        expires_at = login_expiry(self._rt.settings.login_token_hours)
        with self._rt.engine.begin() as conn:
            account_store.insert_login_token(conn, token_hash(token), user["id"], utc_now(), expires_at)
            accounts = account_store.memberships_of(conn, user["id"])
        return {"token": token, "expires_at": expires_at, "accounts": [dict(a) for a in accounts]}

    def _login_limits(self, email: str, client: str) -> list[tuple[str, int]]:
        """The counters of failed log-ins and their limits: per e-mail and client address; per e-mail from
        anywhere, looser, against guessing from many addresses; per client address, against trying one
        password on many e-mails."""
        settings = self._rt.settings
        email, network = email.strip().lower(), client_network(client)
        return [
            (f"login|{email}|{network}", settings.login_failures_per_email_and_client),
            (f"login-email|{email}", settings.login_failures_per_email),
            (f"login-client|{network}", settings.login_failures_per_client),
        ]

    @cached_property
    def _dummy_hash(self) -> str:
        """A hash of a random password, made with the current cost, that no password matches."""
        return self._rt.passwords.hash(secrets.token_urlsafe(16))

    def set_password(self, email: str, password: str) -> None:
        """Give a user a new password (the command line's way back in); their log-in tokens end, and the
        audit log of every account they belong to says so."""
        password_hash = self._rt.passwords.hash(password)
        with self._rt.engine.begin() as conn:
            user = account_store.find_user_by_email(conn, email)
            if user is None:
                raise NotFound(f"no user {email}")
            people_store.set_password_hash(conn, user["id"], password_hash)
            target = f"user:{user['id']}"
            for membership in account_store.memberships_of(conn, user["id"]):
                audit.record(conn, membership["account_id"], "command line", "user.password_reset", target)
            self._rt.ledger.append({"kind": "password_changed", "at": utc_now(), "user_id": user["id"]})

    def logout(self, token: str) -> None:
        with self._rt.engine.begin() as conn:
            account_store.revoke_login_token(conn, token_hash(token))

    def caller_for_token(self, token: str, account_id: int | None, project: str | None = None) -> Caller:
        """Staff without a membership get a caller of no account and no scope (P10: no customer data); a
        membership limited to projects acts in one of them (`project`, else the first)."""
        with self._rt.engine.connect() as conn:
            row = account_store.find_login_token(conn, token_hash(token))
            if row is None or row["expires_at"] <= utc_now():
                raise Unauthenticated("the log-in token is unknown or has expired")
            memberships = account_store.memberships_of(conn, row["user_id"])
            user = account_store.get_user(conn, row["user_id"])
            instance_role = user["instance_role"] if user and user["instance_role"] in INSTANCE_ROLES else None
            if account_id:
                chosen = next((m for m in memberships if m["account_id"] == account_id), None)
            else:
                chosen = memberships[0] if memberships else None
            limits = member_store.project_limits(conn, chosen["account_id"], row["user_id"]) if chosen else []
        if not memberships and instance_role:
            return Caller(0, NO_SCOPE, user_id=row["user_id"], instance_role=instance_role)
        if not memberships:
            raise Forbidden("this user belongs to no account")
        if chosen is None:
            raise NotFound("no such account for this user")
        return Caller(
            chosen["account_id"],
            ROLE_SCOPE[chosen["role"]],
            project=choose_project(limits, project),
            user_id=row["user_id"],
            role=chosen["role"],
            instance_role=instance_role,
            projects=tuple(limits),
        )

    def me(self, caller: Caller) -> dict:
        with self._rt.engine.connect() as conn:
            account = account_store.get_account(conn, caller.account_id)
            user = account_store.get_user(conn, caller.user_id) if caller.user_id else None
            accounts = account_store.memberships_of(conn, caller.user_id) if caller.user_id else []
        return {
            "account": {"id": account["id"], "name": account["name"], "kind": account["kind"]} if account else None,
            "instance_role": caller.instance_role,
            "projects": list(caller.projects),
            "user": {"id": user["id"], "email": user["email"]} if user else None,
            "role": caller.role,
            "scope": caller.scope,
            "key_id": caller.key_id,
            "project": caller.project,
            "accounts": [dict(a) for a in accounts],
        }

    # temporary keys: a sandbox account whose data expires
    def temp_key(self, client: str) -> dict:
        settings = self._rt.settings
        enabled = settings.temp_keys_enabled if settings.temp_keys_enabled is not None else not settings.multi_account
        if not enabled:
            raise Forbidden("temporary keys are turned off on this instance")
        self._rate_limit(client, settings.temp_key_rate_per_hour)
        now = utc_now()
        expires_at = now + timedelta(days=settings.temp_key_ttl_days)
        session_id = str(uuid.uuid4())
        with self._rt.engine.begin() as conn:
            account_id = account_store.create_account(conn, "sandbox", now, kind="sandbox", expires_at=expires_at)
        key = self._rt.keys.create(
            account_id, "ingest", name="temporary", expires_at=expires_at, key_id=TEMP_PREFIX + session_id
        )
        return {"api_key": key, "session_id": session_id, "expires_at": expires_at}

    def _rate_limit(self, client: str, per_hour: int) -> None:
        now = time.monotonic()
        with self._temp_lock:
            recent = self._temp_requests[client]
            while recent and now - recent[0] > 3600:
                recent.popleft()
            if len(recent) >= per_hour:
                raise RateLimited("too many temporary keys from this address; try again later")
            recent.append(now)

    # keys and members of an account
    def create_key(
        self, caller: Caller, scope: str, name: str | None, project: str | None, expires_at: datetime | None
    ) -> dict:
        caller.require("admin")
        if caller.project and project != caller.project:
            raise Forbidden("this key may only create keys for its own project")
        key = self._rt.keys.create(caller.account_id, scope, name, project, expires_at, created_by=caller.user_id)
        details = {"scope": scope, "project": project}
        audit.record(self._rt, caller.account_id, caller, "key.create", key_id_of(key), details)
        return {
            "api_key": key,
            "key_id": key_id_of(key),
            "scope": scope,
            "name": name,
            "project": project,
            "expires_at": expires_at,
        }

    def list_keys(self, caller: Caller) -> list[dict]:
        """A caller limited to a project sees the keys limited to that project only."""
        caller.require("admin")
        with self._rt.engine.connect() as conn:
            keys = [dict(r) for r in account_store.list_api_keys(conn, caller.account_id)]
        return [k for k in keys if caller.project is None or k["project"] == caller.project]

    def revoke_key(self, caller: Caller, key_id: str) -> None:
        """A caller limited to a project revokes only the keys limited to that project; any other is unknown to
        it, as it is absent from its list."""
        caller.require("admin")
        if caller.project is not None and key_id not in {k["key_id"] for k in self.list_keys(caller)}:
            raise NotFound(f"no active key {key_id!r} in this project")
        self._rt.keys.revoke(caller.account_id, key_id)
        audit.record(self._rt, caller.account_id, caller, "key.revoke", key_id)

    def members(self, caller: Caller) -> list[dict]:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            limits = member_store.project_limits_of_account(conn, caller.account_id)
            rows = account_store.members_of(conn, caller.account_id)
        return [{**r, "projects": limits.get(r["id"], [])} for r in rows]

    def projects(self, caller: Caller) -> list[dict]:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            rows = account_store.list_projects(conn, caller.account_id)
        return [dict(r) for r in rows if not caller.project or r["name"] == caller.project]


def key_id_of(key: str) -> str:
    return decode_key(key)[0]


def check_email(email: str) -> str:
    if "@" not in email or len(email) > 320:
        raise InvalidInput("not an e-mail address", field="email")
    return email
