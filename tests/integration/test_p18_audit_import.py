"""P18 for the audit log an import brings: an export taken before a project was deleted and people were erased,
imported after, holds their names in clear; the entries it brings are rewritten as the deletion and the erasures
rewrote the log, so no audit log names the project or the e-mails afterwards."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

from tests.integration.test_p18_audit_erasure import (
    ZIP,
    admin_of,
    audit_entries,
    email_hash_of,
    member_id,
    plant_entries,
)
from tests.integration.test_p18_user_erasure import PASSWORD, invite
from tests.support.mailbox import login
from tests.support.payloads import session, uid


@dataclass
class Gone:
    """An account's export taken before one of its projects was deleted and two people were erased."""

    admin: str  # the account's admin key
    archive: bytes
    project: str
    emails: tuple[str, str]  # a member of the account; a member of another account it only invited
    project_hash: str  # what the receipt holds
    member_id: int
    invited_id: int


def erased_after_export(live_server) -> Gone:
    team, elsewhere = live_server.new_tenant("audit-import"), live_server.new_tenant("audit-import-elsewhere")
    admin, elsewhere_admin = admin_of(live_server, team.account_id), admin_of(live_server, elsewhere.account_id)
    project, mia = f"shop-{uid()}", f"Mia-{uid()}@Local.Example"  # in the case her inviter typed
    invite(live_server, login(live_server, team.owner_email, team.owner_password), email=mia)
    zoe = invite(live_server, login(live_server, elsewhere.owner_email, elsewhere.owner_password))
    with live_server.client(admin) as client:
        stored = client.post("/api/v1/ingest", json={"sessions": [session(uid("s-"), tracking_project=project)]})
        assert stored.json()["stored"] == 1, stored.text
        assert client.put("/api/v1/retention", json={"project": project, "content_days": 30}).status_code == 200
    plant_entries(  # as invitations and joins were audited before they named people by id
        live_server,
        team.account_id,
        ("member.invite", mia.lower(), {"role": "member", "projects": [project]}),
        ("member.join", mia, {"role": "member", "email": mia.upper()}),
        ("member.invite", zoe, {"role": "viewer", "to": [zoe, mia]}),
    )
    gone = Gone(
        admin=admin,
        archive=b"",
        project=project,
        emails=(mia, zoe),
        project_hash="",
        member_id=member_id(live_server, admin, mia),
        invited_id=member_id(live_server, elsewhere_admin, zoe),
    )
    with live_server.client(admin) as client:
        exported = client.get("/api/v1/export")
        assert exported.status_code == 200, exported.text
        gone.archive = exported.content
        assert all(name.lower() in audit_text(gone.archive) for name in (project, mia, zoe))
        deleted = client.delete(f"/api/v1/projects/{project}")
        assert deleted.status_code == 200, deleted.text
        gone.project_hash = deleted.json()["target"]
    for email in (mia, zoe):
        with live_server.client(login(live_server, email, PASSWORD)) as person:
            assert person.delete("/api/v1/me").status_code == 200
    return gone


def audit_text(archive: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        return zipped.read("audit_log.jsonl").decode().lower()


def import_into(live_server, key: str, archive: bytes) -> list[dict]:
    """The account's audit log once the archive is in."""
    with live_server.client(key) as client:
        imported = client.post("/api/v1/import", content=archive, headers=ZIP)
        assert imported.status_code == 200, imported.text
        assert imported.json()["imported"]["audit_log"] > 0
    return audit_entries(live_server, key)


def planted(entries: list[dict]) -> list[tuple]:
    return sorted(
        (e["action"], e["target"], json.dumps(e["details"], sort_keys=True)) for e in entries if e["actor"] == "system"
    )


def test_p18_an_import_of_an_export_taken_before_brings_back_no_deleted_project_or_erased_email(live_server):
    """The account's own export: its copies of the entries are rewritten as the live ones were, the member as
    `user:<id>` (the account knows her by id), the person only invited as the hash of her e-mail, the project as
    the receipt's hash."""
    gone = erased_after_export(live_server)
    mia, zoe = gone.emails
    member, invited = f"user:{gone.member_id}", email_hash_of(live_server, gone.invited_id)
    expected = sorted(
        [
            ("member.invite", invited, json.dumps({"role": "viewer", "to": [invited, member]}, sort_keys=True)),
            ("member.invite", member, json.dumps({"projects": [gone.project_hash], "role": "member"}, sort_keys=True)),
            ("member.join", member, json.dumps({"email": member, "role": "member"}, sort_keys=True)),
        ]
    )
    assert planted(audit_entries(live_server, gone.admin)) == expected  # what the deletion and erasures left

    entries = import_into(live_server, gone.admin, gone.archive)
    assert planted(entries) == sorted(expected * 2)  # the archive's copies, as the live entries are
    settings = [e["target"] for e in entries if e["action"] == "settings.retention"]
    assert len(settings) == 2 and set(settings) == {gone.project_hash}
    text = json.dumps(entries).lower()
    assert not [name for name in (gone.project, mia, zoe) if name.lower() in text]


def test_p18_an_erased_email_stays_out_of_the_audit_log_of_another_account_that_imports_the_archive(live_server):
    """An erasure is the whole instance's: another account importing the archive gets the e-mails rewritten as
    well, `user:<id>` where its log (the archive's entries among it) names the person by id. The project is
    another account's: it comes in under its name, as the import of another account's project does."""
    gone = erased_after_export(live_server)
    mia, zoe = gone.emails
    newcomer = live_server.new_tenant("audit-import-newcomer")
    entries = import_into(live_server, admin_of(live_server, newcomer.account_id), gone.archive)
    member, invited = f"user:{gone.member_id}", email_hash_of(live_server, gone.invited_id)
    assert [(e["action"], e["target"]) for e in sorted(entries, key=lambda e: e["id"]) if e["actor"] == "system"] == [
        ("member.invite", member),
        ("member.join", member),
        ("member.invite", invited),
    ]
    text = json.dumps(entries).lower()
    assert mia.lower() not in text and zoe.lower() not in text
    assert gone.project in text
