"""Clauses P19 (backups forget deleted data within 60 days) and P15 (encryption at rest with a key per
account; deleting the account makes every copy unreadable, backups included); restores that never run under
a live server and that put back a damaged or lost database; one server at a time on a SQLite store."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from promptwatch.server.errors import Gone
from promptwatch.server.services.backups import expire_backups, read_catalog, take_backup
from promptwatch.server.services.clock import utc_now
from promptwatch.server.services.runtime import Runtime
from promptwatch.server.services.store_lock import restoring, rewriting
from promptwatch.server.settings import Settings
from promptwatch.server.store.bodies import decode_body
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import current_revision, downgrade, upgrade
from tests.support.payloads import llm, session, uid
from tests.support.server import TEST_ENV, free_port


def run_cli(server, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**TEST_ENV, "PROMPTWATCH_DATABASE_URL": server.database_url, "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "promptwatch.cli", *args, "--data-dir", str(server.data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli(server, *args: str) -> subprocess.CompletedProcess:
    result = run_cli(server, *args)
    assert result.returncode == 0, result.stderr
    return result


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert all(word in lines[0] for word in words), lines[0]


def ingest_session(server) -> str:
    sid = uid("s-")
    with server.client(server.first.api_key) as client:
        client.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": [llm(uid("a-"), sid)]})
        assert client.get(f"/api/v1/sessions/{sid}").status_code == 200
    return sid


def session_status(server, sid: str) -> int:
    with server.client(server.first.api_key) as client:
        return client.get(f"/api/v1/sessions/{sid}").status_code


def runtime_of(server) -> Runtime:
    settings = server.settings()
    return Runtime.build(settings, make_engine(settings.database_url))


def test_p19_restore_reapplies_every_deletion_made_after_the_backup(fresh_server):
    server = fresh_server().start()
    kept, doomed, doomed_tenant = uid("s-"), uid("s-"), uid("s-")
    with server.client(server.first.api_key) as client:
        client.post(
            "/api/v1/ingest",
            json={
                "sessions": [session(kept), session(doomed), session(doomed_tenant, tracking_tenant="carol")],
                "activities": [llm(uid("a-"), s) for s in (kept, doomed, doomed_tenant)],
            },
        )
    backup_path = Path(cli(server, "backup").stdout.strip().splitlines()[-1])
    assert backup_path.exists() and backup_path.parent == server.data_dir / "backups"
    admin = server.accounts()._rt.keys.create(server.first.account_id, "admin")
    with server.client(admin) as client:
        assert client.delete(f"/api/v1/sessions/{doomed}").status_code == 204
        assert client.delete("/api/v1/tenants/carol").status_code == 200
    ledger = (server.data_dir / "ledger" / "deletions.jsonl").read_text()
    assert "carol" not in ledger  # the ledger holds ids and hashes, not identifying values
    server.stop()
    result = cli(server, "restore", str(backup_path), "--yes")
    assert "deletions re-applied: 2" in result.stderr
    server.start()
    with server.client(server.first.api_key) as client:
        assert client.get(f"/api/v1/sessions/{kept}").status_code == 200
        assert client.get(f"/api/v1/sessions/{doomed}").status_code == 404
        assert client.get(f"/api/v1/sessions/{doomed_tenant}").status_code == 404


def test_restore_and_migrations_refuse_while_a_server_has_the_store_open(fresh_server):
    """A restore under a running SQLite server left a database that never opened again."""
    server = fresh_server().start()
    backup_path = Path(cli(server, "backup").stdout.strip().splitlines()[-1])
    later = ingest_session(server)
    for command in (
        ["restore", str(backup_path), "--yes"],
        ["db", "downgrade", "base"],
        ["db", "upgrade"],
        ["keys", "rotate-master"],
    ):
        assert_one_line_error(run_cli(server, *command), "PromptWatch server", "stop the server first")
    with server.client() as client:
        assert client.get("/api/v1/ready").status_code == 200
    assert session_status(server, later) == 200  # nothing was put back under it
    server.stop()
    cli(server, "restore", str(backup_path), "--yes")
    refused = pytest.raises(RuntimeError, match="a command is restoring or migrating the store")
    with rewriting(server.settings()), refused:  # a restore in progress: `up` does not start on it
        server.start()
    server.start()
    assert session_status(server, later) == 404


@pytest.mark.sqlite  # one process writes a SQLite store
def test_a_second_server_on_a_sqlite_store_is_refused_and_the_first_keeps_serving(backend, fresh_server):
    server = fresh_server().start()
    second = run_cli(server, "up", "--host", "127.0.0.1", "--port", str(free_port()), timeout=60)
    assert_one_line_error(second, f"a PromptWatch server already serves the store at {server.data_dir}")
    assert "password" not in second.stdout + second.stderr
    with server.client() as client:
        assert client.get("/api/v1/health").status_code == 200


@pytest.mark.postgresql  # the scale-out shape: servers on one PostgreSQL share the data dir they start with
def test_servers_on_one_postgresql_share_its_store(two_workers):
    for server in two_workers:
        with server.client() as client:
            assert client.get("/api/v1/health").status_code == 200


@pytest.mark.sqlite  # a database file of its own is SQLite's
def test_restore_puts_back_a_damaged_or_missing_sqlite_database(backend, fresh_server):
    server = fresh_server().start()
    kept = ingest_session(server)
    backup_path = Path(cli(server, "backup").stdout.strip().splitlines()[-1])
    server.stop()
    database = server.data_dir / "promptwatch.db"
    with open(database, "r+b") as handle:  # the schema page, after the file header
        handle.seek(100)
        handle.write(os.urandom(3900))
    assert_one_line_error(run_cli(server, "keys", "list"), "the database is damaged", "promptwatch restore")
    cli(server, "restore", str(backup_path), "--yes")
    server.start()
    assert session_status(server, kept) == 200
    server.stop()
    for path in server.data_dir.glob("promptwatch.db*"):
        path.unlink()
    cli(server, "restore", str(backup_path), "--yes")
    server.start()
    assert session_status(server, kept) == 200


def test_p19_no_backup_outlives_the_retention_and_the_setting_refuses_more_than_60_days(tmp_path):
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, backup_retention_days=61)
    settings = Settings(data_dir=tmp_path, backup_retention_days=60)
    engine = make_engine(f"sqlite:///{tmp_path / 'promptwatch.db'}")
    upgrade(engine)
    runtime = Runtime.build(settings, engine)
    now = utc_now()
    old = take_backup(runtime, now=now - timedelta(days=61))
    fresh = take_backup(runtime, now=now - timedelta(days=59))
    stray = settings.backups_path() / "promptwatch-unlisted.sqlite"
    stray.write_bytes(b"x")
    removed = expire_backups(runtime, now=now)
    assert Path(old["path"]).name in removed and stray.name in removed
    assert not Path(old["path"]).exists() and Path(fresh["path"]).exists()
    assert [e["file"] for e in read_catalog(settings)] == [Path(fresh["path"]).name]


def test_p15_encrypted_payloads_are_unreadable_on_disk_and_shredded_with_the_account(fresh_server, backend):
    server = fresh_server().start()
    owner = server.first
    admin = server.accounts()._rt.keys.create(owner.account_id, "admin")
    canary = f"canary{uuid.uuid4().hex}"
    sid = uid("s-")
    with server.client(admin) as client:
        assert client.put("/api/v1/account/encryption", json={"enabled": True}).json() == {"enabled": True}
        assert client.put("/api/v1/account/encryption", json={"enabled": False}).status_code == 422
        client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), sid, prompt=f"secret {canary}")]})
        stored = client.get(f"/api/v1/sessions/{sid}").json()
        assert canary in stored["activities"][0]["prompt"]  # the customer reads it as usual
        assert client.get("/api/v1/sessions", params={"q": canary}).status_code == 422
    backup_path = Path(cli(server, "backup").stdout.strip().splitlines()[-1])
    if backend == "sqlite":
        for path in [*server.data_dir.glob("promptwatch.db*"), backup_path]:
            assert canary.encode() not in path.read_bytes(), path
        database = sqlite3.connect(backup_path)
        blob = database.execute("SELECT body FROM activity_bodies").fetchone()[0]
        database.close()
    else:
        engine = make_engine(server.database_url)
        with engine.connect() as conn:
            blob = conn.exec_driver_sql("SELECT body FROM activity_bodies").scalar()
        engine.dispose()
    runtime = runtime_of(server)
    assert canary in str(decode_body(runtime.crypto.open_body(owner.account_id, bytes(blob))))
    with server.client() as anonymous:
        token = anonymous.post(
            "/api/v1/auth/login", json={"email": owner.owner_email, "password": owner.owner_password}
        ).json()["token"]
    with server.client(token) as client:
        receipt = client.delete("/api/v1/account").json()
        assert receipt["counts"]["encryption_key_destroyed"] is True
    with pytest.raises(Gone):
        runtime_of(server).crypto.open_body(owner.account_id, bytes(blob))
    assert not (server.data_dir / "keys" / "accounts" / f"{owner.account_id}.key").exists()


def test_p15_master_key_rotation_keeps_payloads_readable(fresh_server):
    server = fresh_server().start()
    admin = server.accounts()._rt.keys.create(server.first.account_id, "admin")
    sid = uid("s-")
    with server.client(admin) as client:
        client.put("/api/v1/account/encryption", json={"enabled": True})
        client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), sid, prompt="before rotation")]})
    master = (server.data_dir / "keys" / "master.key").read_bytes()
    server.stop()
    rotated = cli(server, "keys", "rotate-master")
    assert "1 account keys re-wrapped" in rotated.stdout + rotated.stderr
    assert (server.data_dir / "keys" / "master.key").read_bytes() != master
    server.start()
    with server.client(admin) as client:
        assert client.get(f"/api/v1/sessions/{sid}").json()["activities"][0]["prompt"] == "before rotation"


def test_backup_catalog_records_checksums(fresh_server):
    server = fresh_server()
    path = Path(cli(server, "backup").stdout.strip().splitlines()[-1])
    catalog = json.loads((server.data_dir / "backups" / "catalog.json").read_text())
    assert catalog[0]["file"] == path.name and len(catalog[0]["sha256"]) == 64


def as_taken_by_an_earlier_release(server, backup_path: Path, revision: str) -> None:
    """The backup's schema taken down to `revision`, as an earlier release would have written it."""
    engine = make_engine(f"sqlite:///{backup_path}")
    downgrade(engine, revision)
    engine.dispose()
    catalog_path = server.data_dir / "backups" / "catalog.json"
    catalog = json.loads(catalog_path.read_text())
    entry = next(e for e in catalog if e["file"] == backup_path.name)
    entry["sha256"] = hashlib.sha256(backup_path.read_bytes()).hexdigest()
    entry["schema"] = current_revision(make_engine(f"sqlite:///{backup_path}"))
    catalog_path.write_text(json.dumps(catalog))


@pytest.mark.sqlite  # the backup file's schema is taken down in place; PostgreSQL's restore upgrades alike
def test_p19_a_backup_of_an_earlier_release_is_upgraded_before_later_deletions_are_applied_again(
    backend, fresh_server
):
    server = fresh_server().start()
    kept, doomed = ingest_session(server), ingest_session(server)
    backup_path = Path(cli(server, "backup").stdout.strip().splitlines()[-1])
    as_taken_by_an_earlier_release(server, backup_path, "0002_lifecycle")  # before 0018_receipt_projects
    with server.client(server.first.api_key) as client:
        assert client.delete(f"/api/v1/sessions/{doomed}").status_code == 204
    server.stop()
    result = cli(server, "restore", str(backup_path), "--yes")
    assert "was upgraded to this release's" in result.stderr and "deletions re-applied: 1" in result.stderr
    server.start()
    assert session_status(server, kept) == 200 and session_status(server, doomed) == 404


def test_p19_a_backup_of_a_later_release_is_refused_and_the_database_kept(backend, fresh_server):
    server = fresh_server().start()
    kept = ingest_session(server)
    backup_path = Path(cli(server, "backup").stdout.strip().splitlines()[-1])
    catalog_path = server.data_dir / "backups" / "catalog.json"
    catalog = json.loads(catalog_path.read_text())
    catalog[-1]["schema"] += ",0999_from_a_later_release"
    catalog_path.write_text(json.dumps(catalog))
    later = ingest_session(server)
    server.stop()
    assert_one_line_error(run_cli(server, "restore", str(backup_path), "--yes"), "later PromptWatch")
    server.start()
    assert session_status(server, kept) == 200 and session_status(server, later) == 200


def test_p19_after_a_restore_that_did_not_finish_nothing_serves_or_reads_the_store(fresh_server):
    server = fresh_server().start()
    doomed = ingest_session(server)
    backup_path = Path(cli(server, "backup").stdout.strip().splitlines()[-1])
    with server.client(server.first.api_key) as client:
        assert client.delete(f"/api/v1/sessions/{doomed}").status_code == 204
    server.stop()
    with pytest.raises(OSError), restoring(server.settings(), str(backup_path)):
        raise OSError("the disk filled up")  # the restore stopped after the database was replaced
    again = f"promptwatch restore {backup_path} --yes"
    assert_one_line_error(run_cli(server, "keys", "list"), "did not finish", again)
    with pytest.raises(RuntimeError, match="did not finish"):
        server.start()
    cli(server, "restore", str(backup_path), "--yes")
    server.start()
    assert session_status(server, doomed) == 404
