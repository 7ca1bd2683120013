"""API keys and passwords.

A key is `base64("<key id>:<secret>")`, the format of the published client; the key id is public, the
secret is stored only as HMAC-SHA256 keyed with the instance secret (fast enough to check on every
ingest call). Passwords use argon2. Checked keys are trusted for a few seconds from a small cache. A key's
revocation or rotation goes into the deletion ledger too, in its transaction just before the commit (so no
crash leaves a committed change out), so that a restore of an older backup keeps it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine

from promptwatch.schema.common import check_tracking_label

from ..constants import SCOPES
from ..errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from ..store import accounts as account_store
from ..store import key_rotation
from .clock import utc_now
from .ledger import DeletionLedger

TEMP_PREFIX = "temp_"


@dataclass(frozen=True)
class Caller:
    """Who is calling: an account, through a key (with scope and project limit) or a user's log-in."""

    account_id: int
    scope: str  # write | ingest | read | admin
    project: str | None = None
    key_id: str | None = None
    user_id: int | None = None
    role: str | None = None
    instance_role: str | None = None  # operator staff: "staff" or "operator" (outside every account)
    projects: tuple[str, ...] = ()  # the projects a limited membership may choose from

    def require(self, scope: str) -> None:
        """`send`: hand in data (ingest, templates, feedback); `ingest`: also change stored data; `read`; `admin`.
        A `write` key may only send: it reads nothing and acts as no role. A refusal names the key scopes
        (write, ingest, read, admin) that would do: `send` is no scope a key has."""
        allowed = {
            "send": ("write", "ingest", "admin"),
            "ingest": ("ingest", "admin"),
            "read": ("ingest", "read", "admin"),
            "admin": ("admin",),
        }[scope]
        if self.scope not in allowed:
            scopes = [name for name in SCOPES if name in allowed]  # in the order the docs list them
            needed = scopes[0] if len(scopes) == 1 else f"{', '.join(scopes[:-1])} or {scopes[-1]}"
            holder = "a key with scope" if self.user_id is None else "scope"  # a person's scope is their role's
            raise Forbidden(f"this credential has scope {self.scope!r}; this needs {holder} {needed}")

    @property
    def effective_role(self) -> str | None:
        """The member's role; a key acts as the role its scope matches (read: viewer, ingest: member, admin)."""
        return self.role or SCOPE_ROLE.get(self.scope)

    def require_role(self, role: str, person: bool = False, account_wide: bool = False) -> None:
        """At least `role` (viewer < member < admin < owner); `person`: a logged-in user, not a key;
        `account_wide`: not limited to a project."""
        mine = self.effective_role
        if mine is None or ROLE_RANK[mine] < ROLE_RANK[role]:
            raise Forbidden(f"this needs the {role} role; the caller is {mine or 'not a member'}")
        if person and self.user_id is None:
            raise Forbidden("this needs a person logged in, not an API key")
        if account_wide and self.project is not None:
            raise Forbidden("this needs access to the whole account, not one project")

    def require_staff(self) -> None:
        if self.instance_role not in INSTANCE_ROLES:
            raise Forbidden("this is for the instance's operator staff")

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        if self.instance_role and self.scope == NO_SCOPE:
            return f"staff:{self.user_id}"
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"key:{self.key_id}" if self.key_id else "system"


def limited_project_id(conn: Connection, caller: Caller) -> int | None:
    """The id of the project a project-limited caller acts in (-1 when it has no row yet: nothing matches),
    None for an account-wide caller."""
    if caller.project is None:
        return None
    return account_store.project_id(conn, caller.account_id, caller.project) or -1


def choose_project(limits: list[str], wanted: str | None) -> str | None:
    """The project a membership limited to `limits` acts in for one request: the one asked for (header
    `X-PromptWatch-Project`), else the first; None when the membership is not limited."""
    if not limits:
        return None
    if wanted is None:
        return limits[0]
    if wanted not in limits:
        raise Forbidden(f"this membership is limited to the projects {', '.join(limits)}")
    return wanted


ROLE_RANK = {"viewer": 0, "member": 1, "admin": 2, "owner": 3}
SCOPE_ROLE = {"read": "viewer", "ingest": "member", "admin": "admin"}
INSTANCE_ROLES = ("staff", "operator")
NO_SCOPE = "none"  # staff outside every account: every customer-data check fails


def encode_key(key_id: str, secret: str) -> str:
    return base64.b64encode(f"{key_id}:{secret}".encode()).decode()


def decode_key(key: str) -> tuple[str, str]:
    try:
        raw = base64.b64decode(key.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Unauthenticated("the API key is not in PromptWatch's format") from None
    key_id, sep, secret = raw.partition(":")
    if not sep or not key_id or not secret:
        raise Unauthenticated("the API key is not in PromptWatch's format")
    return key_id, secret


class KeyService:
    def __init__(self, engine: Engine, instance_secret: bytes, cache_seconds: float, ledger: DeletionLedger) -> None:
        self._engine = engine
        self._ledger = ledger
        self._secret = instance_secret
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def hash_secret(self, secret: str) -> str:
        return hmac.new(self._secret, secret.encode(), hashlib.sha256).hexdigest()

    def create(
        self,
        account_id: int,
        scope: str = "ingest",
        name: str | None = None,
        project: str | None = None,
        expires_at: datetime | None = None,
        key_id: str | None = None,
        created_by: int | None = None,
    ) -> str:
        """Create a key and return it whole: the only time the secret is ever seen."""
        if scope not in SCOPES:
            raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}")
        now = utc_now()
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("expires_at is in the past", field="expires_at")
        try:  # a project not used yet is created now, as ingest creates it on first use: same name rule
            check_tracking_label(project)
        except ValueError as exc:
            raise InvalidInput(f"project {exc}", field="project") from None
        key_id = key_id or "pk_" + secrets.token_hex(8)
        secret = secrets.token_urlsafe(24)
        with self._engine.begin() as conn:
            project_id = account_store.ensure_project(conn, account_id, project, now) if project else None
            account_store.insert_api_key(
                conn,
                key_id=key_id,
                secret_hash=self.hash_secret(secret),
                account_id=account_id,
                project_id=project_id,
                scope=scope,
                name=name,
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
            )
        return encode_key(key_id, secret)

    def revoke(self, account_id: int, key_id: str) -> None:
        now = utc_now()
        with self._engine.begin() as conn:
            if not account_store.revoke_api_key(conn, account_id, key_id, now):
                raise NotFound(f"no active key {key_id!r} in this account")
            self._ledger.append({"kind": "key_revoked", "at": now, "account_id": account_id, "key_id": key_id})
        self.forget(key_id)

    def rotate(self, account_id: int, key_id: str) -> str:
        """A new secret for the same key id; the old secret stops working at once on this worker (within
        the key cache time on others). Returns the whole new key, shown once."""
        secret = secrets.token_urlsafe(24)
        secret_hash = self.hash_secret(secret)
        with self._engine.begin() as conn:
            if not key_rotation.replace_secret(conn, account_id, key_id, secret_hash):
                raise NotFound(f"no active key {key_id!r} in this account")
            entry = {"kind": "key_rotated", "at": utc_now(), "account_id": account_id, "key_id": key_id}
            self._ledger.append({**entry, "secret_hash": secret_hash})
        self.forget(key_id)
        return encode_key(key_id, secret)

    def forget(self, key_id: str) -> None:
        """Drop a key from the cache of checked keys."""
        with self._lock:
            for cached, (_, caller) in list(self._cache.items()):
                if caller.key_id == key_id:
                    del self._cache[cached]

    def forget_account(self, account_id: int) -> None:
        """Drop every key of an account from the cache (the account was deleted)."""
        with self._lock:
            for cached, (_, caller) in list(self._cache.items()):
                if caller.account_id == account_id:
                    del self._cache[cached]

    def authenticate(self, key: str) -> Caller:
        now_mono = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now_mono - hit[0] < self._cache_seconds:
            return hit[1]
        key_id, secret = decode_key(key)
        with self._engine.connect() as conn:
            row = account_store.find_api_key(conn, key_id)
        now = utc_now()
        if row is None or not hmac.compare_digest(row["secret_hash"], self.hash_secret(secret)):
            raise Unauthenticated("unknown API key")
        if row["revoked_at"] is not None:
            raise Unauthenticated("this API key was revoked")
        if row["expires_at"] is not None and row["expires_at"] <= now:
            raise Unauthenticated("this API key has expired")
        caller = Caller(row["account_id"], row["scope"], row["project_name"], key_id=key_id)
        with self._engine.begin() as conn:
            account_store.touch_api_key(conn, row["id"], now)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now_mono, caller)
        return caller


class PasswordService:
    def __init__(self, time_cost: int, memory_cost: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        if not password_hash:
            return False
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login_expiry(hours: int) -> datetime:
    return utc_now() + timedelta(hours=hours)
