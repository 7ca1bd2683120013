"""P18: an id is never given again once its row is deleted. Audit entries name people `user:<id>` and
invitations `invitation:<id>`, share links and support grants by id, receipts and the deletion ledger name
projects by id: a new row with an erased or deleted one's id would seem to be what those entries name (SQLite
gives the largest id again unless the table says AUTOINCREMENT; PostgreSQL never does)."""

from __future__ import annotations

from tests.integration.test_backups import cli
from tests.integration.test_p11_project_limited_admin import RANGE
from tests.integration.test_p18_user_erasure import PASSWORD, invite
from tests.support.mailbox import login
from tests.support.payloads import llm, uid


def newest_person(server, owner_token: str) -> tuple[str, int, int]:
    """A person invited by the owner of `owner_token`, who accepts: (e-mail, invitation id, user id)."""
    email = invite(server, owner_token)
    with server.client(owner_token) as owner:
        (invitation,) = [i for i in owner.get("/api/v1/invitations").json()["items"] if i["email"] == email]
    with server.client(login(server, email, PASSWORD)) as person:
        user_id = person.get("/api/v1/me").json()["user"]["id"]
    return email, invitation["id"], user_id


def test_p18_a_person_erasing_themselves_leaves_their_user_and_invitation_ids_to_nobody(live_server):
    tenant = live_server.new_tenant("ids")
    owner_token = login(live_server, tenant.owner_email, tenant.owner_password)
    email, invitation_id, user_id = newest_person(live_server, owner_token)
    with live_server.client(login(live_server, email, PASSWORD)) as person:
        assert person.delete("/api/v1/me").status_code == 200  # the user and the invitation to them go
    with live_server.client(owner_token) as owner:
        audit = [(e["action"], e["target"]) for e in owner.get("/api/v1/audit").json()["items"]]
    assert ("member.invite", f"invitation:{invitation_id}") in audit and ("deletion.user", f"user:{user_id}") in audit
    _, next_invitation_id, next_user_id = newest_person(live_server, owner_token)
    assert next_invitation_id > invitation_id and next_user_id > user_id


def test_p18_a_user_erased_by_the_operator_leaves_their_id_to_nobody(live_server):
    owner_token = login(live_server, live_server.first.owner_email, live_server.first.owner_password)
    email, invitation_id, user_id = newest_person(live_server, owner_token)
    cli(live_server, "users", "delete", email, "--yes")
    _, next_invitation_id, next_user_id = newest_person(live_server, owner_token)
    assert next_invitation_id > invitation_id and next_user_id > user_id


def share_link(server, key: str) -> tuple[str, int]:
    """A new session and a share link to it: (session id, link id)."""
    sid = uid("s-")
    with server.client(key) as client:
        assert client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), sid)]}).json()["rejected"] == 0
        link = client.post("/api/v1/share-links", json={"object_id": sid})
        assert link.status_code == 201, link.text
    return sid, link.json()["id"]


def test_p18_a_deleted_session_s_share_link_leaves_its_id_to_no_other_link(live_server):
    tenant = live_server.new_tenant("link-ids")
    sid, link_id = share_link(live_server, tenant.api_key)
    with live_server.client(tenant.api_key) as key:
        assert key.delete(f"/api/v1/sessions/{sid}").status_code == 204
        assert link_id not in {link["id"] for link in key.get("/api/v1/share-links").json()["items"]}
    _, next_link_id = share_link(live_server, tenant.api_key)
    assert next_link_id > link_id


def support_grant(server, tenant) -> int:
    with server.client(login(server, tenant.owner_email, tenant.owner_password)) as owner:
        grant = owner.post("/api/v1/support-grants", json={"reason": "ticket 18"})
        assert grant.status_code == 201, grant.text
    return grant.json()["id"]


def test_p18_a_deleted_account_s_support_grant_leaves_its_id_to_no_other_grant(live_server):
    gone, kept = live_server.new_tenant("grant-ids"), live_server.new_tenant("grant-ids-kept")
    grant_id = support_grant(live_server, gone)
    with live_server.client(login(live_server, gone.owner_email, gone.owner_password)) as owner:
        assert owner.delete("/api/v1/account").status_code == 200
    assert support_grant(live_server, kept) > grant_id


def project_key(client, project: str) -> tuple[str, int]:
    """An admin key limited to `project` (created with it): (the key, the project's id)."""
    created = client.post("/api/v1/keys", json={"scope": "admin", "project": project})
    assert created.status_code == 201, created.text
    (row,) = [p for p in client.get("/api/v1/projects").json()["items"] if p["name"] == project]
    return created.json()["api_key"], row["id"]


def test_p18_a_deleted_project_leaves_its_id_and_receipts_to_no_new_project(live_server):
    """A receipt names the project its requester was limited to by id: a new project with that id would show
    it to the people limited to the new one."""
    tenant = live_server.new_tenant("project-ids")
    with live_server.client(login(live_server, tenant.owner_email, tenant.owner_password)) as owner:
        gone = uid("gone-")
        limited, project_id = project_key(owner, gone)
        with live_server.client(limited) as client:
            receipt = client.post("/api/v1/deletions/time-range", json=RANGE)
            assert receipt.status_code == 200, receipt.text
        assert owner.delete(f"/api/v1/projects/{gone}").status_code == 200
        limited, next_project_id = project_key(owner, uid("new-"))
    with live_server.client(limited) as client:
        assert client.get("/api/v1/deletions").json()["items"] == []
        assert client.get(f"/api/v1/deletions/{receipt.json()['id']}").status_code == 404
    assert next_project_id > project_id
