"""Clause P19 after a restore: credential and access changes made since the backup outlive it, every deletion
made since comes back with its receipt and is purged again, and the ledger's hashes are keyed by a key derived
from the instance secret (older plain SHA-256 entries are still applied)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event

from promptwatch.server.services.accounts import AccountService
from promptwatch.server.services.clock import utc_now
from promptwatch.server.services.credentials import decode_key
from tests.integration.test_backups import cli, runtime_of, session_status
from tests.integration.test_p18_user_erasure import PASSWORD, invite
from tests.support.mailbox import login as login_token
from tests.support.payloads import llm, session, uid


def ingest(server, *sessions: dict) -> None:
    with server.client(server.first.api_key) as client:
        activities = [llm(uid("a-"), s["id"]) for s in sessions]
        assert client.post("/api/v1/ingest", json={"sessions": list(sessions), "activities": activities}).is_success


def take_backup(server) -> Path:
    return Path(cli(server, "backup").stdout.strip().splitlines()[-1])


def login(server, password: str):
    with server.client() as anonymous:
        body = {"email": server.first.owner_email, "password": password}
        return anonymous.post("/api/v1/auth/login", json=body)


def restore(server, backup: Path) -> str:
    server.stop()
    output = cli(server, "restore", str(backup), "--yes").stderr
    server.start()
    return output


def test_p19_restore_keeps_revoked_keys_revoked_and_changed_passwords_unusable(fresh_server):
    server = fresh_server().start()
    keys = runtime_of(server).keys
    leaked = keys.create(server.first.account_id, "ingest", name="leaked")
    rotated = keys.create(server.first.account_id, "ingest", name="rotated")
    token = login(server, server.first.owner_password).json()["token"]
    backup = take_backup(server)
    cli(server, "keys", "revoke", decode_key(leaked)[0])
    new_secret = keys.rotate(server.first.account_id, decode_key(rotated)[0])
    new_password = cli(server, "users", "reset-password", server.first.owner_email).stdout.strip()
    output = restore(server, backup)
    assert "credential changes re-applied: 3" in output
    assert f"{server.first.owner_email} changed their password since the backup" in output
    with server.client(leaked) as client:
        assert client.get("/api/v1/sessions").status_code == 401
    with server.client(rotated) as client:  # the secret the backup holds
        assert client.get("/api/v1/sessions").status_code == 401
    with server.client(new_secret) as client:
        assert client.get("/api/v1/sessions").status_code == 200
    with server.client(token) as client:  # a log-in of before the backup ends too
        assert client.get("/api/v1/me").status_code == 401
    assert login(server, server.first.owner_password).status_code == 401  # the old password the backup holds
    assert login(server, new_password).status_code == 401  # no password hash is in the ledger: reset again
    reset = cli(server, "users", "reset-password", server.first.owner_email).stdout.strip()
    assert login(server, reset).status_code == 200


def member_ids(server, token: str) -> dict[str, dict]:
    with server.client(token) as client:
        return {m["email"]: m for m in client.get("/api/v1/members").json()["items"]}


def test_p19_restore_keeps_revoked_links_invitations_grants_and_member_changes(fresh_server):
    server = fresh_server().start()
    shared = session(uid("s-"), tracking_project="kept")
    ingest(server, shared)
    owner = login_token(server, server.first.owner_email, server.first.owner_password)
    removed, changed = invite(server, owner, role="admin"), invite(server, owner, role="admin")
    with server.client(owner) as client:
        link = client.post("/api/v1/share-links", json={"kind": "session", "object_id": shared["id"]}).json()
        invitation = client.post("/api/v1/invitations", json={"email": f"{uid()}@example.test"}).json()
        grant = client.post("/api/v1/support-grants", json={"scope": "account", "reason": "ticket 7"}).json()
    members = member_ids(server, owner)
    backup = take_backup(server)
    with server.client(owner) as client:
        assert client.delete(f"/api/v1/share-links/{link['id']}").status_code == 204
        assert client.delete(f"/api/v1/invitations/{invitation['id']}").status_code == 204
        assert client.delete(f"/api/v1/support-grants/{grant['id']}").status_code == 204
        assert client.delete(f"/api/v1/members/{members[removed]['id']}").status_code == 204
        update = {"role": "viewer", "projects": ["kept"]}
        assert client.patch(f"/api/v1/members/{members[changed]['id']}", json=update).status_code == 200
    ledger = runtime_of(server).ledger.path.read_text()
    assert removed not in ledger and changed not in ledger and "kept" not in ledger  # ids only
    assert "credential changes re-applied: 5" in restore(server, backup)
    with server.client() as anonymous:
        assert anonymous.get(f"/api/v1/shared/{link['token']}").status_code == 410
        accept = {"token": invitation["token"], "password": PASSWORD}
        assert anonymous.post("/api/v1/invitations/accept", json=accept).status_code == 410
    owner = login_token(server, server.first.owner_email, server.first.owner_password)
    with server.client(owner) as client:
        grants = {g["id"]: g for g in client.get("/api/v1/support-grants").json()["items"]}
    assert grants[grant["id"]]["live"] is False
    members = member_ids(server, owner)
    assert removed not in members  # a removed admin does not come back
    assert (members[changed]["role"], members[changed]["projects"]) == ("viewer", ["kept"])


def test_p19_restore_removes_a_membership_limited_to_projects_made_after_the_backup(fresh_server):
    server = fresh_server().start()
    owner = login_token(server, server.first.owner_email, server.first.owner_password)
    person = invite(server, owner, role="admin")
    members = member_ids(server, owner)
    backup = take_backup(server)
    with server.client(owner) as client:
        update = {"projects": [uid("new-")]}  # made by the change, after the backup
        assert client.patch(f"/api/v1/members/{members[person]['id']}", json=update).status_code == 200
    restore(server, backup)
    assert person not in member_ids(server, login_token(server, server.first.owner_email, server.first.owner_password))


def test_p18_restore_gives_back_the_receipts_of_replayed_deletions_and_purges_again(fresh_server):
    server = fresh_server().start()
    before, after = session(uid("s-")), session(uid("s-"))
    ingest(server, before, after)
    admin = runtime_of(server).keys.create(server.first.account_id, "admin")
    with server.client(admin) as client:
        assert client.delete(f"/api/v1/sessions/{before['id']}").status_code == 204
    backup = take_backup(server)
    cli(server, "cleanup")
    with server.client(admin) as client:
        assert client.delete(f"/api/v1/sessions/{after['id']}").status_code == 204
        receipts = {r["id"]: r for r in client.get("/api/v1/deletions").json()["items"]}
    restore(server, backup)
    assert session_status(server, after["id"]) == 404
    with server.client(admin) as client:
        restored = {r["id"]: r for r in client.get("/api/v1/deletions").json()["items"]}
    assert restored.keys() == receipts.keys() and len(restored) == 2
    for receipt_id, receipt in receipts.items():
        assert restored[receipt_id]["target"] == receipt["target"]
        assert restored[receipt_id]["requested_at"] == receipt["requested_at"]
        assert restored[receipt_id]["purged_at"] is not None  # the restore purged the store again


def test_p19_ledger_hashes_are_keyed_and_plain_ones_written_before_still_apply(fresh_server):
    server = fresh_server().start()
    tenant, legacy_tenant = f"{uid('u-')}@example.test", f"{uid('u-')}@example.test"
    doomed, legacy = session(uid("s-"), tracking_tenant=tenant), session(uid("s-"), tracking_tenant=legacy_tenant)
    ingest(server, doomed, legacy)
    backup = take_backup(server)
    admin = runtime_of(server).keys.create(server.first.account_id, "admin")
    with server.client(admin) as client:
        receipt = client.delete(f"/api/v1/tenants/{tenant}").json()
    plain = "sha256:" + hashlib.sha256(tenant.encode()).hexdigest()
    ledger = runtime_of(server).ledger
    assert receipt["target"].startswith("hmac-sha256:") and receipt["target"] != plain
    key_hash = runtime_of(server).keys.hash_secret(tenant)  # how API key secrets are hashed
    assert receipt["target"] == ledger.hash(tenant) and key_hash not in receipt["target"]
    assert plain not in ledger.path.read_text() and tenant not in ledger.path.read_text()
    legacy_hash = "sha256:" + hashlib.sha256(legacy_tenant.encode()).hexdigest()
    ledger.append(  # as the ledger was written before its hashes were keyed
        {
            "at": utc_now(),
            "account_id": server.first.account_id,
            "kind": "tenant",
            "tenant_hash": legacy_hash,
            "receipt": str(uuid.uuid4()),
            "target": legacy_hash,
        }
    )
    assert "deletions re-applied: 2" in restore(server, backup)
    assert session_status(server, doomed["id"]) == 404
    assert session_status(server, legacy["id"]) == 404


def test_p19_credential_and_access_changes_are_in_the_ledger_before_their_commit(fresh_server):
    """No crash between a change's commit and its ledger line can lose the line: the line is written first."""
    server = fresh_server().start()
    runtime = runtime_of(server)
    account = server.first.account_id
    revoked, rotated = (decode_key(runtime.keys.create(account, "ingest"))[0] for _ in range(2))
    kinds: list[list[str]] = []

    @event.listens_for(runtime.engine, "commit")
    def read_ledger(_conn) -> None:
        kinds.append([entry["kind"] for entry in runtime.ledger.entries()])

    runtime.keys.revoke(account, revoked)
    runtime.keys.rotate(account, rotated)
    AccountService(runtime).set_password(server.first.owner_email, "a-new-password-1")
    assert kinds[-3:] == [["key_revoked"], ["key_revoked", "key_rotated"]] + [
        ["key_revoked", "key_rotated", "password_changed"]
    ]


def test_p19_restore_purges_again_what_retention_purged_and_keeps_later_policies_and_cleared_caches(fresh_server):
    server = fresh_server().start()
    purged, kept = session(uid("s-"), tracking_project="ops"), session(uid("s-"), tracking_project="shop")
    ingest(server, purged, kept)  # started a month ago
    admin = server.accounts()._rt.keys.create(server.first.account_id, "admin")
    with server.client(admin) as client:
        entry = {"text": "Where is my invoice?", "result": "In Billing."}
        assert client.post("/api/v1/cache/kb/entries", json=entry).is_success
        backup = take_backup(server)
        assert client.put("/api/v1/retention", json={"project": "ops", "content_days": 7}).status_code == 200
        cli(server, "cleanup")
        assert client.get(f"/api/v1/sessions/{purged['id']}").status_code == 404
        assert client.put("/api/v1/retention", json={"project": "ops", "content_days": None}).status_code == 200
        assert client.delete("/api/v1/cache/kb").json() == {"deleted": 1}
    output = restore(server, backup)
    assert "retention policies set again: 2" in output
    with server.client(admin) as client:
        assert client.get(f"/api/v1/sessions/{purged['id']}").status_code == 404  # though its policy was loosened
        assert client.get(f"/api/v1/sessions/{kept['id']}").status_code == 200
        policies = client.get("/api/v1/retention").json()["items"]
        assert [(p["project"], p["content_days"]) for p in policies] == [("ops", None)]
        assert client.post("/api/v1/cache/kb/lookup", json={"text": "Where is my invoice?"}).json()["hit"] is False
    ledger = runtime_of(server).ledger.path.read_text()
    assert '"kind": "retention"' in ledger and "kb" not in ledger.replace('"kind"', "")  # the namespace as a hash


def test_p19_a_deletion_at_work_while_the_backup_was_taken_is_applied_again(fresh_server):
    """A deletion's line is written before its work: one ledgered before the backup began, whose receipt the
    backup lacks, was still at work then, and the restore applies it; one whose receipt it holds, not again."""
    server = fresh_server().start()
    at_work, done, later = session(uid("s-")), session(uid("s-")), session(uid("s-"))
    ingest(server, at_work, done, later)
    ledger = runtime_of(server).ledger
    started = (utc_now() - timedelta(minutes=5)).isoformat()
    entry = {"kind": "session", "at": started, "account_id": server.first.account_id, "target": at_work["id"]}
    ledger.append({**entry, "session_ids": [at_work["id"]], "receipt": str(uuid.uuid4())})  # its work: later
    with server.client(server.first.api_key) as client:
        assert client.delete(f"/api/v1/sessions/{done['id']}").status_code == 204
    backup = take_backup(server)
    with server.client(server.first.api_key) as client:
        assert client.delete(f"/api/v1/sessions/{later['id']}").status_code == 204
    assert "deletions re-applied: 2" in restore(server, backup)  # not the finished one again
    with server.client(server.first.api_key) as client:
        for sid in (at_work["id"], done["id"], later["id"]):
            assert client.get(f"/api/v1/sessions/{sid}").status_code == 404, sid
