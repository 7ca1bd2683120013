"""API keys and passwords.

A key is `base64("<key id>:<secret>")`, the format of the published client; the key id is public, the
secret is stored only as HMAC-SHA256 keyed with the instance secret (fast enough to check on every
ingest call). Passwords use argon2. Checked keys are trusted for a few seconds from a small cache.
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
from sqlalchemy import Engine

from ..errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from ..store import accounts as account_store
from ..store.tables.credentials import SCOPES
from .clock import utc_now

TEMP_PREFIX = "temp_"


@dataclass(frozen=True)
class Caller:
    """Who is calling: an account, through a key (with scope and project limit) or a user's log-in."""

    account_id: int
    scope: str  # ingest | read | admin
    project: str | None = None
    key_id: str | None = None
    user_id: int | None = None
    role: str | None = None

    def require(self, scope: str) -> None:
        allowed = {"ingest": ("ingest", "admin"), "read": ("ingest", "read", "admin"), "admin": ("admin",)}[scope]
        if self.scope not in allowed:
            raise Forbidden(f"this credential has scope {self.scope!r}; {scope!r} is needed")


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
    def __init__(self, engine: Engine, instance_secret: bytes, cache_seconds: float) -> None:
        self._engine = engine
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
            raise InvalidInput("expires_at is in the past")
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
        with self._engine.begin() as conn:
            if not account_store.revoke_api_key(conn, account_id, key_id, utc_now()):
                raise NotFound(f"no active key {key_id!r} in this account")
        with self._lock:
            for cached, (_, caller) in list(self._cache.items()):
                if caller.key_id == key_id:
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
