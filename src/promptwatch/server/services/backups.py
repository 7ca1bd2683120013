"""Backups (P19): scheduled copies of the database with a catalog, none kept past the backup retention
(at most 60 days), and restores that apply every deletion made after the backup was taken again, from the
deletion ledger — so deleted data never comes back — with its receipt, then purge the restored store.

Retention policies set since the backup are set again, and what they purged is purged again (ledgered as
deletions are). Credential and access changes are in the ledger too and outlive a restore: a revoked key
stays revoked, a rotated key keeps its new secret, and a user whose password changed since the backup has
no password (the backup holds an old one, perhaps the reason for the change) until it is reset; a revoked
share link, invitation or support grant stays revoked, a removed member stays removed and a changed role or
project limit stays changed. Every log-in token ends. Ownership handed after the backup to someone the backup does
not hold cannot come back with it (nobody is added or promoted: a restore never widens access), so an
account can be left with no owner: the restore names each such standard account, and `promptwatch users
set-role` gives it one.

SQLite is copied with its online backup API; PostgreSQL with `pg_dump --format=custom` (the database's
password goes to pg_dump and pg_restore in their environment, never on their command line, which every user of
the machine can read). Backups and their catalog are readable by their owner only. Backups hold the database
only: the keys directory and the ledger stay outside, so an account deleted since a backup stays unreadable in
it (its key is gone) and is deleted again on restore. A restore needs no working database (it is what puts a
damaged or lost one back) and refuses while a server has the store open, or when the ledger is missing (it exists
from the first start and the first backup, so a missing one is a lost one) unless told to go without it.

A backup and the expiry of old ones hold the backup directory's lock alone, so that one never takes the other's
new file for an unlisted one; a restore shares it from before it reads the catalog until the ledger is applied,
so that no expiry removes the backup it reads and no backup copies a store half restored. Each waits for it
at most LOCK_WAIT_SECONDS, then fails naming the lock file: a holder that is stuck never hangs the others.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from ..errors import Conflict, InvalidInput
from ..settings import Settings, SettingsError, resolve_database_url
from ..store import accounts as account_store
from ..store import key_rotation, maintenance
from ..store import lifecycle as lifecycle_store
from ..store import members as member_store
from ..store import people as people_store
from ..store import sharing as sharing_store
from ..store import support_access as support_store
from ..store.engine import make_engine
from ..store.schema_version import current_revision, head_revision, known_revision, upgrade
from .clock import utc_now
from .deletion import reapply_deletion
from .ledger import DeletionLedger, LedgerEntry
from .runtime import Runtime, instance_secret
from .store_lock import restoring, rewriting

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

CATALOG = "catalog.json"
CATALOG_LOCK = "catalog.lock"
# a deletion ledgered up to this long before a backup began may have been at work while it was taken
DELETION_AT_WORK = timedelta(hours=1)
LOCK_WAIT_SECONDS = 300.0  # longest wait for the backup directory's lock
LOCK_POLL_SECONDS = 0.2
Progress = Callable[[str, int], None]


def _catalog_path(settings: Settings) -> Path:
    return settings.backups_path() / CATALOG


def read_catalog(settings: Settings) -> list[dict]:
    path = _catalog_path(settings)
    return json.loads(path.read_text()) if path.exists() else []


def last_backup_time(settings: Settings) -> datetime | None:
    """When the last backup the catalog lists was taken; None for none."""
    return max((_taken(entry) for entry in read_catalog(settings)), default=None)


def _write_catalog(settings: Settings, entries: list[dict]) -> None:
    path = _catalog_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)  # one left by a crash may have another mode
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(json.dumps(entries, indent=2))
    temporary.replace(path)
    path.chmod(0o600)  # a catalog written before it was created so


def check_backup_dir(settings: Settings) -> None:
    """Refuse (SettingsError) a backup directory that is not a directory, or cannot be made or written."""
    path = settings.backups_path().absolute()
    existing = path
    while not existing.exists():  # false too under a regular file
        existing = existing.parent
    where = str(path) if existing == path else f"{path} cannot be made: {existing}"
    if not existing.is_dir():
        raise SettingsError([f"PROMPTWATCH_BACKUP_DIR: {where} is not a directory"])
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SettingsError([f"PROMPTWATCH_BACKUP_DIR: {where} is not writable by this process"])


class BackupDirBusy(Conflict):
    """The backup directory's lock was still held by another process when the wait for it ended."""


@contextmanager
def _backup_dir_held(settings: Settings, shared: bool = False, wait: float | None = None) -> Iterator[None]:
    """The backup directory's lock (a `flock` on `catalog.lock`): held alone around a backup or an expiry (a
    server's scheduled backup and `promptwatch backup` may run at once), shared around a restore, which only
    reads there. Waited for at most `wait` seconds (LOCK_WAIT_SECONDS by default), then refused (BackupDirBusy)
    naming the file."""
    directory = settings.backups_path()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / CATALOG_LOCK
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:  # Windows has none: nothing is checked
            mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
            _wait_for_lock(descriptor, mode, path, LOCK_WAIT_SECONDS if wait is None else wait)
        yield
    finally:
        os.close(descriptor)  # closing lets the lock go


def _wait_for_lock(descriptor: int, mode: int, path: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BackupDirBusy(
                    f"{path} is still locked after {wait:g} seconds: another backup, expiry or "
                    "restore holds it, or a process that holds it is stuck (the lock goes when it ends)"
                ) from None
            time.sleep(min(LOCK_POLL_SECONDS, left))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _libpq(url: str) -> tuple[str, dict[str, str] | None]:
    """The database's libpq URL without its password, and the environment that holds the password (PGPASSWORD)
    for pg_dump and pg_restore: a command line is in the process list, for every user of the machine to read."""
    parsed = make_url(url)
    password = parsed.password or parsed.query.get("password")
    query = {name: value for name, value in parsed.query.items() if name != "password"}
    bare = URL.create("postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, query)
    return bare.render_as_string(hide_password=False), {**os.environ, "PGPASSWORD": str(password)} if password else None


def take_backup(
    runtime: Runtime,
    now: datetime | None = None,
    progress: Progress | None = None,
    wait: float | None = None,
) -> dict:
    """Make a backup now; returns its catalog entry (with `path`). The deletion ledger is made first when it
    does not exist, so that none of the backups lacks one. `wait`: the longest wait for the backup directory's
    lock (see `_backup_dir_held`)."""
    check_backup_dir(runtime.settings)
    runtime.ledger.create()
    with _backup_dir_held(runtime.settings, wait=wait):
        return _take_backup(runtime, now or utc_now(), progress or (lambda _step, _n: None))


def _take_backup(runtime: Runtime, now: datetime, note: Progress) -> dict:
    directory = runtime.settings.backups_path()
    url = resolve_database_url(runtime.settings)
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    if runtime.engine.dialect.name == "sqlite":
        path = _private_file(directory / f"promptwatch-{stamp}.sqlite")
        source = sqlite3.connect(make_url(url).database)
        target = sqlite3.connect(path)
        try:
            source.backup(
                target, pages=1024, progress=lambda _status, remaining, total: note("pages", total - remaining)
            )
        finally:
            target.close()
            source.close()
        kind = "sqlite"
    else:
        path = _private_file(directory / f"promptwatch-{stamp}.pgdump")
        database, environment = _libpq(url)
        subprocess.run(
            ["pg_dump", "--format=custom", "--file", str(path), database],
            check=True,
            capture_output=True,
            timeout=3600,
            env=environment,
        )
        kind = "pg_dump"
    entry = {
        "file": path.name,
        "kind": kind,
        "taken_at": now.isoformat(),
        "bytes": path.stat().st_size,
        "sha256": _sha256(path),
        "schema": head_revision(),
        **({"ledger": ledger[0]} if (ledger := runtime.ledger.identity()) else {}),
    }
    _write_catalog(runtime.settings, [*read_catalog(runtime.settings), entry])
    note("backup written", entry["bytes"])
    return {**entry, "path": str(path)}


def _private_file(path: Path) -> Path:
    """`path` made empty and readable by its owner only, before the backup is written into it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def expire_backups(runtime: Runtime, now: datetime | None = None, wait: float | None = None) -> list[str]:
    """Delete every backup older than the backup retention; returns the files removed."""
    with _backup_dir_held(runtime.settings, wait=wait):
        return _expire_backups(runtime, now or utc_now())


def _expire_backups(runtime: Runtime, now: datetime) -> list[str]:
    limit = now - timedelta(days=runtime.settings.backup_retention_days)
    directory = runtime.settings.backups_path()
    kept, removed = [], []
    for entry in read_catalog(runtime.settings):
        if _taken(entry) < limit:
            (directory / entry["file"]).unlink(missing_ok=True)
            removed.append(entry["file"])
        else:
            kept.append(entry)
    _write_catalog(runtime.settings, kept)
    known = {entry["file"] for entry in kept} | {CATALOG}
    for stray in directory.glob("promptwatch-*"):  # a backup missing from the catalog is not kept either
        if stray.name not in known:
            stray.unlink()
            removed.append(stray.name)
    return removed


def restore_backup(
    settings: Settings, backup: Path, progress: Progress | None = None, without_ledger: bool = False
) -> dict:
    """Put the database back as the backup has it, whatever state the current one is in (refused while a
    server has the store open), at this release's schema (a backup of an earlier one is upgraded; one of a
    later release is refused), then apply every deletion, credential and access change the ledger recorded
    after the backup was taken, and purge what the deletions left. Returns what was re-applied, and the
    standard accounts left with no owner (`accounts_without_owner`), for the operator to give one.

    Without a ledger file it refuses (Conflict) before anything is done, unless `without_ledger` says the
    operator accepts that what was deleted since the backup comes back; the result then names the missing
    file (`ledger_missing`)."""
    ledger = settings.deletion_ledger_path()
    missing = {} if ledger.exists() else {"ledger_missing": str(ledger)}
    if missing and not without_ledger:
        raise Conflict(f"no deletion ledger at {ledger}: {_LEDGER_NEEDED}")
    with _backup_dir_held(settings, shared=True):  # no expiry removes the backup, no backup copies a half restore
        return {**_restore_backup(settings, backup, progress or (lambda _step, _n: None), without_ledger), **missing}


_LEDGER_NEEDED = (
    "without the ledger the backup was taken with, what was deleted, revoked or erased since the backup comes "
    "back; put it there (PROMPTWATCH_LEDGER_PATH), or restore with --without-ledger to accept that"
)


def _restore_backup(settings: Settings, backup: Path, note: Progress, without_ledger: bool) -> dict:
    entry = next((e for e in read_catalog(settings) if e["file"] == backup.name), None)
    if entry is None or not backup.exists():
        raise InvalidInput(f"{backup} is not a backup in the catalog of {settings.backups_path()}")
    ledger = DeletionLedger(settings.deletion_ledger_path(), instance_secret(settings))
    if not without_ledger and (mismatch := _ledger_mismatch(ledger, entry)):
        raise Conflict(mismatch)
    url = resolve_database_url(settings)
    backend = make_url(url).get_backend_name()
    if (entry["kind"] == "sqlite") != (backend == "sqlite"):
        raise InvalidInput(f"{backup} is a {entry['kind']} backup and this store's database is {backend}")
    if _sha256(backup) != entry["sha256"]:
        raise InvalidInput(f"{backup} does not match its checksum in the catalog")
    if entry.get("schema") and not known_revision(entry["schema"]):
        raise InvalidInput(
            f"{backup} was taken by a later PromptWatch (schema {entry['schema']}); restore it with that release"
        )
    with rewriting(settings), restoring(settings, str(backup)):
        if entry["kind"] == "sqlite":
            _replace_sqlite(backup, Path(make_url(url).database))
        else:
            database, environment = _libpq(url)
            subprocess.run(
                ["pg_restore", "--clean", "--if-exists", "--no-owner", "--dbname", database, str(backup)],
                check=True,
                capture_output=True,
                timeout=3600,
                env=environment,
            )
        note("database restored", 1)
        engine = make_engine(url)
        upgraded_from = current_revision(engine)
        if upgraded_from != head_revision():  # a backup of an earlier release: the ledger's work needs today's
            upgrade(engine)
            note("schema upgraded", 1)
        try:
            with engine.begin() as conn:
                taken_at = _taken(entry)
                replayed = _replay(conn, _entries_since(conn, ledger, taken_at), note)
                account_store.end_all_login_tokens(conn)
                ownerless = member_store.standard_accounts_without_owner(conn)
            maintenance.purge_engine_leftovers(engine, note)
            with engine.begin() as conn:  # the receipts the backup holds unpurged, and the replayed ones
                lifecycle_store.mark_purged(conn, up_to=utc_now(), now=utc_now())
        finally:
            engine.dispose()
    upgraded = {"schema_upgraded_from": upgraded_from} if upgraded_from != head_revision() else {}
    return {
        "restored": backup.name,
        "taken_at": entry["taken_at"],
        **upgraded,
        **replayed,
        "accounts_without_owner": ownerless,
    }


def _ledger_mismatch(ledger: DeletionLedger, entry: dict) -> str | None:
    """Why `ledger` cannot be the one the backup was taken with, or None: it must be the one the catalog entry
    names, or (a backup of an earlier release names none) one begun before the backup. An empty ledger, begun by
    no release, is taken."""
    identity = ledger.identity()
    if identity is None:
        return None
    name, began = identity
    if entry.get("ledger"):
        if name == entry["ledger"]:
            return None
        return f"the deletion ledger at {ledger.path} is not the one this backup was taken with: {_LEDGER_NEEDED}"
    if began <= _taken(entry):
        return None
    return (
        f"the deletion ledger at {ledger.path} began at {began.isoformat()}, after this backup of an earlier "
        f"release was taken ({entry['taken_at']}): {_LEDGER_NEEDED}. If this instance kept no ledger before "
        "(an earlier release made it at the first deletion), nothing was deleted before then: --without-ledger "
        "loses nothing"
    )


def _taken(entry: dict) -> datetime:
    return datetime.fromisoformat(entry["taken_at"])


def _entries_since(conn, ledger: DeletionLedger, taken_at: datetime) -> Iterator[LedgerEntry]:
    """The ledger's entries written after the backup began, and the deletions of the hour before it whose
    receipt the backup lacks: their work, which follows their line, had not finished when it was taken."""
    for entry in ledger.entries(after=taken_at - DELETION_AT_WORK):
        if datetime.fromisoformat(entry["at"]) > taken_at or _unfinished(conn, entry):
            yield entry


def _unfinished(conn, entry: LedgerEntry) -> bool:
    return "receipt" in entry and lifecycle_store.receipt(conn, entry["account_id"], entry["receipt"]) is None


def _replay(conn, entries, note: Progress) -> dict:
    """Each ledger entry in order: a credential or access change (counted as credential changes), or a
    deletion with its receipt as it was given (its id, target and request time; the counts are what the
    restored store held)."""
    done = {
        "deletions_reapplied": 0,
        "credential_changes_reapplied": 0,
        "settings_reapplied": 0,
        "passwords_to_reset": [],
    }
    for entry in entries:
        if entry["kind"] in CREDENTIAL_WORK:
            CREDENTIAL_WORK[entry["kind"]](conn, entry, done)
            done["credential_changes_reapplied"] += 1
            continue
        if entry["kind"] == "retention_set":
            _retention_set(conn, entry)
            done["settings_reapplied"] += 1
            continue
        counts = reapply_deletion(conn, entry, utc_now())
        if "receipt" in entry and lifecycle_store.receipt(conn, entry["account_id"], entry["receipt"]) is None:
            at = datetime.fromisoformat(entry["at"])
            lifecycle_store.add_receipt(
                conn,
                id=entry["receipt"],
                account_id=entry["account_id"],
                kind=entry["kind"],
                target=entry.get("target", entry["kind"]),
                counts=counts,
                requested_at=at,
                unreadable_at=at,
                purged_at=None,
            )
        done["deletions_reapplied"] += 1
        note("deletions re-applied", done["deletions_reapplied"])
    return done


def _retention_set(conn, entry: LedgerEntry) -> None:
    """The policy as it was set; one of a project the restored store lacks (made after the backup) has
    nothing to apply to."""
    account_id, project_id = entry["account_id"], entry["project_id"]
    if project_id and project_id not in {p["id"] for p in account_store.list_projects(conn, account_id)}:
        return
    at = datetime.fromisoformat(entry["at"])
    lifecycle_store.set_policy(conn, account_id, project_id, entry["content_days"], entry["aggregate_days"], at)


def _key_revoked(conn, entry: LedgerEntry, _done: dict) -> None:
    at = datetime.fromisoformat(entry["at"])
    account_store.revoke_api_key(conn, entry["account_id"], entry["key_id"], at)


def _key_rotated(conn, entry: LedgerEntry, _done: dict) -> None:
    key_rotation.replace_secret(conn, entry["account_id"], entry["key_id"], entry["secret_hash"])


def _password_changed(conn, entry: LedgerEntry, done: dict) -> None:
    """The ledger holds no password hash: the restored one is older than the change, so none is kept."""
    user = account_store.get_user(conn, entry["user_id"])
    if user is not None:
        people_store.set_password_hash(conn, user["id"], None)
        if user["email"] not in done["passwords_to_reset"]:
            done["passwords_to_reset"].append(user["email"])


def _share_link_revoked(conn, entry: LedgerEntry, _done: dict) -> None:
    sharing_store.revoke_link(conn, entry["account_id"], entry["link_id"], datetime.fromisoformat(entry["at"]))


def _invitation_revoked(conn, entry: LedgerEntry, _done: dict) -> None:
    at = datetime.fromisoformat(entry["at"])
    member_store.revoke_invitation(conn, entry["account_id"], entry["invitation_id"], at)


def _support_grant_revoked(conn, entry: LedgerEntry, _done: dict) -> None:
    """Revoked by the same user, unless the restored store does not hold them (then by nobody named)."""
    by = entry["user_id"] if account_store.get_user(conn, entry["user_id"]) else None
    at = datetime.fromisoformat(entry["at"])
    support_store.revoke_grant(conn, entry["account_id"], entry["grant_id"], by, at)


def _member_removed(conn, entry: LedgerEntry, _done: dict) -> None:
    member_store.remove_membership(conn, entry["account_id"], entry["user_id"])


def _member_changed(conn, entry: LedgerEntry, _done: dict) -> None:
    """The role and project limits as changed; a membership the backup does not hold (it began later) is
    left out. A project the restored store lacks (made after the backup) drops out of the limits, and a
    membership limited to none of the projects left is removed: a restore never widens anyone's access."""
    account_id, user_id = entry["account_id"], entry["user_id"]
    if member_store.membership(conn, account_id, user_id) is None:
        return
    member_store.set_role(conn, account_id, user_id, entry["role"])
    if entry["project_ids"] is None:
        return
    held = {project["id"] for project in account_store.list_projects(conn, account_id)}
    kept = [project_id for project_id in entry["project_ids"] if project_id in held]
    if entry["project_ids"] and not kept:
        member_store.remove_membership(conn, account_id, user_id)
    else:
        member_store.set_project_limits(conn, account_id, user_id, kept)


CREDENTIAL_WORK = {
    "key_revoked": _key_revoked,
    "key_rotated": _key_rotated,
    "password_changed": _password_changed,
    "share_link_revoked": _share_link_revoked,
    "invitation_revoked": _invitation_revoked,
    "support_grant_revoked": _support_grant_revoked,
    "member_removed": _member_removed,
    "member_changed": _member_changed,
}


def _replace_sqlite(backup: Path, database: Path) -> None:
    """Copy beside the database first, so that a failed copy leaves the current file as it was; the old
    write-ahead log goes with the file it belonged to."""
    staged = database.with_name(f"{database.name}.restoring")
    shutil.copyfile(backup, staged)
    staged.chmod(0o600)
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    staged.replace(database)
