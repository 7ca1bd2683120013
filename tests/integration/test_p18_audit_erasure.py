"""P18 in the audit log: entries name people by id (`user:<id>`) and invitations by id, never by e-mail, and
erasing a person rewrites the entries that still hold their e-mail (written before): `user:<id>` in the accounts
that know them by id, the keyed hash of the e-mail from their erasure's ledger entry in the others (an
invitation never accepted). Neither the audit log nor an account's export names them afterwards."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timezone

from sqlalchemy import insert

from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.tables.support_access import audit_log
from tests.integration.test_p18_user_erasure import PASSWORD, invite, traces_of
from tests.support.mailbox import login
from tests.support.payloads import uid

ZIP = {"content-type": "application/zip"}


def admin_of(server, account_id: int) -> str:
    return server.accounts()._rt.keys.create(account_id, "admin")


def plant_entries(server, account_id: int, *entries: tuple[str, str | None, dict | None]) -> None:
    """Audit entries (action, target, details) as the entries of invitations and joins were written before
    they named people by id."""
    engine = make_engine(server.database_url)
    try:
        with engine.begin() as conn:
            for action, target, details in entries:
                values = {"account_id": account_id, "at": datetime.now(timezone.utc), "actor": "system"}
                conn.execute(insert(audit_log).values(**values, action=action, target=target, details=details))
    finally:
        engine.dispose()


def audit_entries(server, key: str) -> list[dict]:
    with server.client(key) as admin:
        answer = admin.get("/api/v1/audit", params={"limit": 500})
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]


def archive_text(server, *keys: str) -> str:
    """Every file of each account's export, in lower case."""
    texts = []
    for key in keys:
        with server.client(key) as admin:
            answer = admin.get("/api/v1/export")
            assert answer.status_code == 200, answer.text
        with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
            texts += [archive.read(name).decode() for name in archive.namelist()]
    return "\n".join(texts).lower()


def email_hash_of(server, user_id: int) -> str:
    """The keyed hash of the e-mail in the person's erasure entry of the deletion ledger (the last of that user
    id: SQLite gives the id of an erased user to the next one)."""
    lines = (server.data_dir / "ledger" / "deletions.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    return [e["email_hash"] for e in entries if e["kind"] == "user" and e["user_id"] == user_id][-1]


def member_id(server, key: str, email: str) -> int:
    with server.client(key) as admin:
        members = admin.get("/api/v1/members").json()["items"]
    return next(m["id"] for m in members if m["email"].lower() == email.lower())


def test_p18_invitations_and_joins_are_audited_by_id_never_by_email(live_server):
    team = live_server.new_tenant("audit-by-id")
    admin = admin_of(live_server, team.account_id)
    mia = f"mia-{uid()}@local.example"
    invite(live_server, login(live_server, team.owner_email, team.owner_password), email=mia)
    entries = [e for e in audit_entries(live_server, admin) if e["action"] in ("member.invite", "member.join")]
    assert mia not in json.dumps(entries)
    targets = {e["action"]: e["target"] for e in entries}
    assert targets["member.invite"].startswith("invitation:")
    assert targets["member.join"] == f"user:{member_id(live_server, admin, mia)}"


def test_p18_a_person_erasing_themselves_leaves_no_email_in_any_audit_log_or_export(live_server):
    team, elsewhere = live_server.new_tenant("audit-erasure"), live_server.new_tenant("audit-invited-only")
    admin, other_admin = admin_of(live_server, team.account_id), admin_of(live_server, elsewhere.account_id)
    mia = f"Mia-{uid()}@Local.Example"  # the case an inviter typed
    invite(live_server, login(live_server, team.owner_email, team.owner_password), email=mia)
    with live_server.client(other_admin) as other:  # invited to another account, never accepted
        assert other.post("/api/v1/invitations", json={"email": mia, "role": "viewer"}).status_code == 201
    mia_id = member_id(live_server, admin, mia)
    plant_entries(
        live_server,
        team.account_id,
        ("member.invite", mia.lower(), {"role": "member", "projects": []}),
        ("member.join", mia, {"role": "member", "invitation": 1, "email": mia.upper()}),
    )
    plant_entries(live_server, elsewhere.account_id, ("member.invite", mia, {"role": "viewer", "to": [mia]}))
    assert mia.lower() in archive_text(live_server, admin, other_admin)

    with live_server.client(login(live_server, mia, PASSWORD)) as person:
        receipt = person.delete("/api/v1/me")
        assert receipt.status_code == 200, receipt.text
        assert receipt.json()["target"] == f"user:{mia_id}"

    assert not any(traces_of(live_server, mia).values())  # no user, invitation (pending or accepted) or mail
    by_id, by_hash = f"user:{mia_id}", email_hash_of(live_server, mia_id)
    assert by_hash.startswith("hmac-sha256:")
    team_entries = audit_entries(live_server, admin)
    planted = [e for e in team_entries if e["actor"] == "system" and e["action"].startswith("member.")]
    assert [(e["action"], e["target"]) for e in planted] == [("member.join", by_id), ("member.invite", by_id)]
    assert planted[0]["details"] == {"role": "member", "invitation": 1, "email": by_id}
    other_entries = audit_entries(live_server, other_admin)
    planted = next(e for e in other_entries if e["actor"] == "system")
    assert (planted["target"], planted["details"]) == (by_hash, {"role": "viewer", "to": [by_hash]})
    assert by_id not in json.dumps(other_entries)  # that account never knew them by id
    assert mia.lower() not in json.dumps(team_entries + other_entries).lower()
    assert mia.lower() not in archive_text(live_server, admin, other_admin)


def test_p18_people_erased_with_their_account_leave_no_email_in_other_accounts_audit_logs(live_server):
    gone, inviting = live_server.new_tenant("audit-account-gone"), live_server.new_tenant("audit-inviting")
    inviting_admin = admin_of(live_server, inviting.account_id)
    with live_server.client(inviting_admin) as other:
        invited = other.post("/api/v1/invitations", json={"email": gone.owner_email, "role": "viewer"})
        assert invited.status_code == 201, invited.text
    plant_entries(live_server, inviting.account_id, ("member.invite", gone.owner_email, None))
    owner_id = member_id(live_server, admin_of(live_server, gone.account_id), gone.owner_email)
    with live_server.client(login(live_server, gone.owner_email, gone.owner_password)) as owner:
        assert owner.delete("/api/v1/account").status_code == 200
    entries = audit_entries(live_server, inviting_admin)
    assert gone.owner_email not in json.dumps(entries)
    assert next(e for e in entries if e["actor"] == "system")["target"] == email_hash_of(live_server, owner_id)
    assert gone.owner_email not in archive_text(live_server, inviting_admin)
