"""P18 for the invitations an import brings: an export taken before people were erased holds the invitations to
their addresses, which their erasure removed; imported after, into the account itself or into another one (an
erasure is the whole instance's), they stay out and are counted, while an invitation to a person not erased
comes in."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from tests.integration.test_cli import promptwatch
from tests.integration.test_p18_audit_erasure import ZIP, admin_of
from tests.integration.test_p18_user_erasure import PASSWORD, invite, traces_of
from tests.support.mailbox import login
from tests.support.payloads import session, uid


@dataclass
class Invited:
    """An account's export taken before two of the people it invited were erased."""

    account_id: int
    admin: str  # the account's admin key
    owner: str  # its owner's log-in token
    archive: bytes
    erased: tuple[str, str]  # one who joined the account; one who was invited and is a member elsewhere
    kept: str | None  # invited, never erased


def erased_after_export(live_server, kept: bool) -> Invited:
    team, elsewhere = live_server.new_tenant("invitation-import"), live_server.new_tenant("invitation-elsewhere")
    owner = login(live_server, team.owner_email, team.owner_password)
    mia = invite(live_server, owner, email=f"Mia-{uid()}@Local.Example")  # in the case her inviter typed
    zoe = invite(live_server, login(live_server, elsewhere.owner_email, elsewhere.owner_password))
    other = f"kept-{uid()}@example.test" if kept else None
    with live_server.client(owner) as client:
        for email in (zoe.upper(), other):
            if email is not None:
                sent = client.post("/api/v1/invitations", json={"email": email, "role": "viewer"})
                assert sent.status_code == 201, sent.text
    invited = Invited(team.account_id, admin_of(live_server, team.account_id), owner, b"", (mia, zoe), other)
    with live_server.client(invited.admin) as client:
        exported = client.get("/api/v1/export")
        assert exported.status_code == 200, exported.text
        invited.archive = exported.content
    with zipfile.ZipFile(io.BytesIO(invited.archive)) as zipped:
        held = zipped.read("invitations.jsonl").decode().lower()
    assert all(email.lower() in held for email in (mia, zoe))
    for email in (mia, zoe):
        with live_server.client(login(live_server, email, PASSWORD)) as person:
            assert person.delete("/api/v1/me").status_code == 200
    return invited


def emails_in(live_server, key: str) -> tuple[list[str], list[str]]:
    """The e-mails of the account's invitations and of its members, in lower case."""
    with live_server.client(key) as admin:
        invitations, members = admin.get("/api/v1/invitations"), admin.get("/api/v1/members")
        assert invitations.status_code == 200 and members.status_code == 200, invitations.text + members.text
    return [i["email"].lower() for i in invitations.json()["items"]], [
        m["email"].lower() for m in members.json()["items"]
    ]


def assert_gone(live_server, key: str, emails: tuple[str, ...]) -> None:
    invitations, members = emails_in(live_server, key)
    assert not [email for email in emails if email.lower() in invitations + members]
    assert not [email for email in emails if traces_of(live_server, email)["invitations"]]


def test_p18_an_import_of_an_export_taken_before_brings_back_no_invitation_of_an_erased_person(live_server):
    invited = erased_after_export(live_server, kept=False)
    with live_server.client(invited.admin) as client:
        imported = client.post("/api/v1/import", content=invited.archive, headers=ZIP)
        assert imported.status_code == 200, imported.text
    assert_gone(live_server, invited.admin, invited.erased)
    assert imported.json()["imported"]["invitations"] == 0
    assert imported.json()["left_out_deleted"]["invitations"] == 2
    assert emails_in(live_server, invited.admin)[0] == []  # the account invited nobody else


def test_p18_another_account_importing_the_archive_gets_the_invitations_of_people_not_erased_only(
    live_server, tmp_path
):
    """The account is deleted after the erasures (its invitations go with it), and its archive imported into
    another account, with the command: the invitation to the person not erased comes in, those of the people
    erased do not."""
    invited = erased_after_export(live_server, kept=True)
    with live_server.client(invited.owner) as owner:
        assert owner.delete("/api/v1/account").status_code == 200
    newcomer = live_server.new_tenant("invitation-newcomer")
    archive = tmp_path / "team.zip"
    archive.write_bytes(invited.archive)
    imported = promptwatch(
        *("import", str(archive), "--account", str(newcomer.account_id), "--data-dir", str(live_server.data_dir)),
        home=tmp_path,
        database_url=live_server.database_url,
    )
    assert imported.returncode == 0, imported.stderr
    key = admin_of(live_server, newcomer.account_id)
    assert_gone(live_server, key, invited.erased)
    invitations, _members = emails_in(live_server, key)
    assert invitations == [invited.kept]
    assert "left out, as the people invited were erased: 2 invitations" in imported.stderr


def test_p18_an_archive_with_members_limited_to_projects_imports_without_them(live_server):
    """Members, and the projects their membership is limited to, are the importing account's own: an archive
    that holds such limits comes in without them, here those of a person erased with the account exported."""
    team = live_server.new_tenant("invitation-limits")
    owner, project = login(live_server, team.owner_email, team.owner_password), f"shop-{uid()}"
    with live_server.client(admin_of(live_server, team.account_id)) as client:
        stored = client.post("/api/v1/ingest", json={"sessions": [session(uid("s-"), tracking_project=project)]})
        assert stored.json()["stored"] == 1, stored.text
        limited = f"limited-{uid()}@example.test"
        with live_server.client(owner) as admin:
            sent = admin.post("/api/v1/invitations", json={"email": limited, "role": "member", "projects": [project]})
            assert sent.status_code == 201, sent.text
        with live_server.client() as anonymous:
            accepted = anonymous.post(
                "/api/v1/invitations/accept", json={"token": sent.json()["token"], "password": PASSWORD}
            )
            assert accepted.status_code == 200, accepted.text
        archive = client.get("/api/v1/export").content
    with live_server.client(owner) as admin:
        assert admin.delete("/api/v1/account").json()["counts"]["users"] == 2  # the owner and the member
    key = admin_of(live_server, live_server.new_tenant("invitation-limits-newcomer").account_id)
    with live_server.client(key) as client:
        imported = client.post("/api/v1/import", content=archive, headers=ZIP)
        assert imported.status_code == 200, imported.text
        assert "membership_projects" not in imported.json()["imported"]
        assert imported.json()["left_out_deleted"]["invitations"] == 1
        assert project in {p["name"] for p in client.get("/api/v1/projects").json()["items"]}
    assert_gone(live_server, key, (limited,))
