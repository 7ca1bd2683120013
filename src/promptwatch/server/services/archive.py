"""Export and import of everything an account owns (P2, P3), or everything about one tracking tenant (a
data-subject access request), as one zip archive: a JSON Lines file per registered table plus
`manifest.json` with row counts and SHA-256 checksums. Driven by the registry of customer data, so a
table added later is exported too. Streams through temporary files; never holds a table in memory."""

from __future__ import annotations

import base64
import hashlib
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import orjson
from sqlalchemy.exc import IntegrityError, StatementError

from ..errors import Conflict, InvalidInput
from ..store import search
from ..store.archive_rows import BATCH, Remapper, account_rows, exported_tables, iter_rows, tenant_conditions
from ..store.bodies import decode_body, encode_body
from ..store.engine import snapshot
from ..store.schema_version import head_revision
from .clock import utc_now
from .import_deletions import exported_by, forget_in_imported_audit, ledgered_deletions
from .import_redaction import ImportRedaction
from .import_validation import held_objects, parse_row
from .redaction import RedactionService
from .runtime import Runtime

FORMAT = "promptwatch-export"
FORMAT_VERSION = 1
# the target account, its people and the projects their memberships are limited to are the importer's own
NOT_IMPORTED = ("account", "members", "membership_projects")
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError)  # what reading a damaged zip member raises
Progress = Callable[[str, int], None]


def _to_json(row: dict, sealed: tuple[str, ...], runtime: Runtime) -> bytes:
    """`sealed`: the registry's encrypted columns, which hold encoded bodies: exported as plain JSON."""
    out = {}
    for name, value in row.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, bytes | memoryview):
            value = bytes(value)
            if name in sealed:
                value = decode_body(runtime.crypto.open_body(row["account_id"], value))
            else:
                value = {"$base64": base64.b64encode(value).decode()}
        out[name] = value
    return orjson.dumps(out, option=orjson.OPT_NON_STR_KEYS)


def export_archive(
    runtime: Runtime, account_id: int, out: Path, tenant: str | None = None, progress: Progress | None = None
) -> dict:
    """Write the archive to `out`; returns the manifest."""
    note = progress or (lambda _kind, _rows: None)
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "schema": head_revision(),
        "created_at": utc_now().isoformat(),
        "scope": "tenant" if tenant else "account",
        "files": {},
    }
    conditions = tenant_conditions(account_id, tenant) if tenant is not None else None
    # one moment for every file, so that a session's totals count the calls its activities file holds
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive, snapshot(runtime.engine) as conn:
        for entry in exported_tables():
            if conditions is not None and entry.table.name not in conditions:
                continue
            rows = (
                iter_rows(conn, entry.table, conditions[entry.table.name])
                if conditions is not None
                else account_rows(conn, entry, account_id)
            )
            digest, count = hashlib.sha256(), 0
            with archive.open(f"{entry.export_kind}.jsonl", "w", force_zip64=True) as member:
                for row in rows:
                    line = _to_json(row, entry.encrypted, runtime) + b"\n"
                    member.write(line)
                    digest.update(line)
                    count += 1
                    if count % BATCH == 0:
                        note(entry.export_kind, count)
            manifest["files"][entry.export_kind] = {
                "table": entry.table.name,
                "rows": count,
                "sha256": digest.hexdigest(),
            }
            note(entry.export_kind, count)
        archive.writestr("manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest


def read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = orjson.loads(archive.read("manifest.json"))
    except (KeyError, orjson.JSONDecodeError, *DAMAGED):
        raise InvalidInput(
            "not a PromptWatch export: manifest.json is missing or unreadable", file="manifest.json"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise InvalidInput("not a PromptWatch export of a version this server reads", file="manifest.json")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(d, dict) and isinstance(d.get("rows"), int) and isinstance(d.get("sha256"), str)
        for d in files.values()
    ):
        raise InvalidInput('manifest.json: "files" must map each kind to its "rows" and "sha256"', file="manifest.json")
    return manifest


def import_archive(runtime: Runtime, path: Path, account_id: int, progress: Progress | None = None) -> dict:
    """Import an archive into `account_id` in one transaction: checksums are verified first, every row is
    checked (`import_validation`), and the content is masked by the account's redaction rules as ingestion
    masks it. Sessions and activities the account deleted stay deleted: they are left out, with everything
    that refers to them and the dataset items copied from them, and their share of the imported sessions'
    totals and roll-ups is taken out (`Remapper.settle`). An export of the same account also leaves out the
    projects, datasets and dataset items its deletion ledger names; any archive, the invitations to a person
    erased since they were made. Audit entries that name a person erased since
    they were written, or (in an export of the same account) a project deleted since, are rewritten as the erasure
    or the deletion rewrote the log (`import_deletions`). Returns
    `{"imported": rows per kind, "left_out_deleted": {"sessions", "activities", "datasets", "dataset_items",
    "invitations"}}`;
    a bad archive raises InvalidInput and stores nothing."""
    note = progress or (lambda _kind, _rows: None)
    try:
        archive = zipfile.ZipFile(path)
    except DAMAGED:
        raise InvalidInput("the upload is not a zip archive", file=None) from None  # at fault: the upload itself
    with archive:
        manifest = read_manifest(archive)
        _verify(archive, manifest)
        with runtime.engine.connect() as conn:
            own = exported_by(conn, archive, account_id)
        remapper = Remapper(account_id, ledgered_deletions(runtime.ledger, account_id, own))
        counts = {}
        crypto = runtime.crypto
        rules = RedactionService(runtime)
        redaction = ImportRedaction(rules.stage, account_id, rules.mask)
        kind = None
        try:
            with runtime.engine.begin() as conn:
                for entry in exported_tables():
                    kind = entry.export_kind
                    if kind in NOT_IMPORTED or kind not in manifest["files"]:
                        continue
                    counts[kind] = 0
                    batch: list[dict] = []
                    with archive.open(f"{kind}.jsonl") as member:
                        for number, line in enumerate(member, start=1):
                            batch.append(parse_row(line, entry, number))
                            if len(batch) >= BATCH:
                                redaction.rows(entry.table.name, batch)
                                counts[kind] += _insert(conn, remapper, entry, batch, crypto, account_id)
                                note(kind, counts[kind])
                                batch = []
                    redaction.rows(entry.table.name, batch)
                    counts[kind] += _insert(conn, remapper, entry, batch, crypto, account_id)
                    note(kind, counts[kind])
                remapper.settle(conn)
                forget_in_imported_audit(conn, runtime.ledger, account_id, remapper.ids, own)
        except StatementError as exc:  # a row the checks let through and the database refuses: nothing stored
            if isinstance(exc, IntegrityError) and any(w in str(exc).lower() for w in ("unique", "duplicate")):
                # nothing held now: the archive itself repeats an id, or a write came between
                raise held_refusal(runtime, path, account_id) or Conflict(
                    "the account already holds objects with the archive's ids"
                ) from None
            raise InvalidInput(f"{kind}.jsonl holds a row this database cannot store", file=f"{kind}.jsonl") from None
    left_out = {table: len(ids) for table, ids in remapper.left_out_ids.items()}
    return {"imported": counts, "left_out_deleted": left_out}


def held_refusal(runtime: Runtime, path: Path, account_id: int) -> Conflict | None:
    """Why an archive cannot come in when the account holds some of its objects already: the files and the first
    ids or names of each (`held` in the problem body), and what to do. None when it holds none of them."""
    with runtime.engine.connect() as conn, zipfile.ZipFile(path) as zipped:
        held = held_objects(conn, zipped, account_id)
    if not held:
        return None
    named = "; ".join(
        f"{kind} {', '.join(first)}" + (f" and {count - len(first)} more" if count > len(first) else "")
        for kind, (first, count) in held.items()
    )
    return Conflict(
        f"the account already holds objects with the archive's ids ({named}); an archive comes in whole or not "
        "at all, so nothing was imported: import it into an account that holds none of them (a new account, or "
        "another instance)",
        held={kind: first for kind, (first, _count) in held.items()},
    )


def _insert(conn, remapper: Remapper, entry, rows: list[dict], crypto, account_id: int) -> int:
    if not rows:
        return 0
    bodies = entry.table.name == "activity_bodies"
    if bodies:
        payloads = {row["activity_pk"]: row["body"] for row in rows}  # before the rows are sealed
    for row in rows:
        for column in entry.encrypted:
            row[column] = crypto.seal_body(account_id, encode_body(row[column]))
    inserted = remapper.insert(conn, entry, rows)
    if bodies and not crypto.encrypts(account_id):
        mapped = remapper.ids.get("activities", {})
        search.index_stored(conn, account_id, [(mapped[old], body) for old, body in payloads.items() if old in mapped])
    return inserted


def _verify(archive: zipfile.ZipFile, manifest: dict) -> None:
    for kind, described in manifest["files"].items():
        digest, count = hashlib.sha256(), 0
        try:
            with archive.open(f"{kind}.jsonl") as member:
                for line in member:
                    digest.update(line)
                    count += 1
        except KeyError:
            raise InvalidInput(f"the archive lacks {kind}.jsonl", file=f"{kind}.jsonl") from None
        except DAMAGED:
            raise InvalidInput(f"{kind}.jsonl is damaged: the zip cannot be read", file=f"{kind}.jsonl") from None
        if digest.hexdigest() != described["sha256"] or count != described["rows"]:
            raise InvalidInput(f"{kind}.jsonl does not match its checksum in the manifest", file=f"{kind}.jsonl")


def temporary_archive() -> Path:
    handle = tempfile.NamedTemporaryFile(prefix="promptwatch-export-", suffix=".zip", delete=False)
    handle.close()
    return Path(handle.name)
