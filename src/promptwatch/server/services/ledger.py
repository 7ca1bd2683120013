"""The deletion ledger: an append-only JSON Lines file outside the database and outside the backups.

It records what was deleted and when — ids, and hashes instead of identifying values (tenant names,
project names) — so that a restored backup can have every later deletion applied again.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

_lock = threading.Lock()


def value_hash(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


class DeletionLedger:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, entry: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        line = json.dumps(entry, default=_iso, sort_keys=True) + "\n"
        with _lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def entries(self, after: datetime | None = None) -> Iterator[dict]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    entry = json.loads(line)
                    if after is None or datetime.fromisoformat(entry["at"]) > after:
                        yield entry


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value))
