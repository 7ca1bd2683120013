"""The deletion ledger: an append-only JSON Lines file outside the database and outside the backups.

It records what was deleted and when — ids, and keyed hashes instead of identifying values (tenant names,
project names) — and the credential changes (API keys revoked or rotated, passwords changed), so that a
restored backup can have every later deletion and credential change applied again.

A hash is HMAC-SHA-256 under the instance secret (`hmac-sha256:<hex>`): without the secret, a dictionary of
e-mails or user ids does not reverse it. Entries written before hashes were keyed hold plain SHA-256
(`sha256:<hex>`); they are still matched, never written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

_lock = threading.Lock()
KEYED = "hmac-sha256:"
PLAIN = "sha256:"


class LedgerEntry(dict):
    """A ledger entry as the work of its kind reads it: its fields, and `holds` to find the objects its
    hashes name."""

    def __init__(self, fields: dict, secret: bytes) -> None:
        super().__init__(fields)
        self._secret = secret

    def holds(self, field: str, value: str) -> bool:
        """Whether the hash in `field` is the hash of `value`, keyed or (in older entries) plain."""
        stored = self.get(field) or ""
        if stored.startswith(PLAIN):
            expected = PLAIN + hashlib.sha256(value.encode()).hexdigest()
        else:
            expected = keyed_hash(self._secret, value)
        return hmac.compare_digest(stored, expected)


def keyed_hash(secret: bytes, value: str) -> str:
    return KEYED + hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


class DeletionLedger:
    def __init__(self, path: Path, secret: bytes) -> None:
        self.path = Path(path)
        self._secret = secret

    def hash(self, value: str) -> str:
        """What the ledger, receipts and audit entries hold instead of an identifying value."""
        return keyed_hash(self._secret, value)

    def entry(self, fields: dict) -> LedgerEntry:
        return LedgerEntry(fields, self._secret)

    def append(self, entry: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        line = json.dumps(entry, default=_iso, sort_keys=True) + "\n"
        with _lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def entries(self, after: datetime | None = None) -> Iterator[LedgerEntry]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    entry = json.loads(line)
                    if after is None or datetime.fromisoformat(entry["at"]) > after:
                        yield self.entry(entry)


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value))
