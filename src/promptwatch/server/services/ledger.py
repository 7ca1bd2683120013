"""The deletion ledger: an append-only JSON Lines file outside the database and outside the backups.

It records what was deleted and when — ids, and keyed hashes instead of identifying values (tenant names,
project names, e-mails) — one entry per person erased (with an account or alone), the credential changes
(API keys revoked or rotated, passwords changed) and the access changes (share links, invitations and
support grants revoked, members removed, roles and project limits changed), so that a restored backup can
have every later deletion and change applied again.

An entry is written before the change it records is committed (a deletion's before its work even starts),
so that no crash can leave a committed change out of the ledger. A change whose commit then failed is
applied at a restore all the same: it is one its requester was allowed to make and asked for.

A hash is HMAC-SHA-256 (`hmac-sha256:<hex>`) under a key derived from the instance secret, not the secret
itself (which keys the hashes of API key secrets): without the secret, a dictionary of e-mails or user ids
does not reverse it, and the hashes shown in receipts say nothing about those of key secrets. Entries
written before hashes were keyed hold plain SHA-256 (`sha256:<hex>`); they are still matched, never written.

The file exists from the server's first start (made, readable by its owner only, at every start and at
every backup), not from the first entry: a missing ledger is a lost one, and a restore refuses without it. Its
first line names it (`ledger_started`, a random id and the time), and each backup records that id: a ledger
begun after the backup (a lost one, replaced by the next start on a new machine) is not the one the backup
needs, and a restore refuses it too. A ledger begun by an earlier release has no such line: its first entry
stands for it (the keyed hash of the line, and its time).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from .clock import utc_now

_lock = threading.Lock()
KEYED = "hmac-sha256:"
STARTED = "ledger_started"  # the kind of a ledger's first line: its id
PLAIN = "sha256:"


class LedgerEntry(dict):
    """A ledger entry as the work of its kind reads it: its fields, and `holds` to find the objects its
    hashes name."""

    def __init__(self, fields: dict, key: bytes) -> None:
        super().__init__(fields)
        self._key = key

    def holds(self, field: str, value: str) -> bool:
        """Whether the hash in `field` is the hash of `value`, keyed or (in older entries) plain."""
        stored = self.get(field) or ""
        if stored.startswith(PLAIN):
            expected = PLAIN + hashlib.sha256(value.encode()).hexdigest()
        else:
            expected = keyed_hash(self._key, value)
        return hmac.compare_digest(stored, expected)


def keyed_hash(key: bytes, value: str) -> str:
    return KEYED + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class DeletionLedger:
    def __init__(self, path: Path, secret: bytes) -> None:
        self.path = Path(path)
        self._key = hashlib.sha256(b"promptwatch-ledger:" + secret).digest()

    def hash(self, value: str) -> str:
        """What the ledger, receipts and audit entries hold instead of an identifying value."""
        return keyed_hash(self._key, value)

    def entry(self, fields: dict) -> LedgerEntry:
        return LedgerEntry(fields, self._key)

    def create(self) -> None:
        """Begin the file (mode 0600) with its id line, unless it exists (then it is left as it is). The line is
        written to a file of its own and linked into place at once, so no process ever sees the ledger without
        it; where the file system has no hard links, the file is made and the line written into it."""
        if self.path.exists():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        line = _line({"kind": STARTED, "ledger_id": uuid.uuid4().hex, "at": utc_now()})
        started = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}")
        try:
            _write_new(started, line)
            os.link(started, self.path)
        except FileExistsError:  # another process began it first
            pass
        except OSError:  # no hard links here
            with contextlib.suppress(FileExistsError):
                _write_new(self.path, line)
        finally:
            started.unlink(missing_ok=True)

    def identity(self) -> tuple[str, datetime] | None:
        """(id, when the ledger began): its first line's; for a ledger begun by an earlier release, which has no
        id line, the keyed hash of its first line and that entry's time. None: no ledger, or an empty one."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                first = handle.readline()
        except FileNotFoundError:
            return None
        if not first.endswith("\n"):
            return None
        fields = json.loads(first)
        began = datetime.fromisoformat(fields["at"])
        return (fields["ledger_id"] if fields["kind"] == STARTED else self.hash(first)), began

    def append(self, entry: dict) -> None:
        self.create()
        with _lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(_line(entry))
            handle.flush()
            os.fsync(handle.fileno())

    def entries(self, after: datetime | None = None) -> Iterator[LedgerEntry]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip() and line.endswith("\n"):  # not a line another process is writing
                    entry = json.loads(line)
                    if entry["kind"] == STARTED:
                        continue
                    if after is None or datetime.fromisoformat(entry["at"]) > after:
                        yield self.entry(entry)


def _write_new(path: Path, line: str) -> None:
    """A new file of mode 0600 holding `line` (FileExistsError when there is one)."""
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def _line(entry: dict) -> str:
    return json.dumps(entry, default=_iso, sort_keys=True) + "\n"


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value))
