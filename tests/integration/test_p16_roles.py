"""P16: roles inside an account (owner, admin, member, viewer) checked per endpoint; memberships limited
to projects; invitations with expiring tokens; key rotation; operator staff who manage the instance but
see no customer data."""

from __future__ import annotations

import pytest

from promptwatch.server.services.staff import StaffService
from tests.support.payloads import llm, session, uid

from .test_access_isolation import STAFF_ROUTES, fill

CUSTOMER_DATA_READS = [
    "/api/v1/sessions",
    "/api/v1/metrics/usage",
    "/api/v1/keys",
    "/api/v1/members",
    "/api/v1/projects",
    "/api/v1/prices/overrides",
    "/api/v1/invitations",
    "/api/v1/support-grants",
    "/api/v1/audit",
    "/api/v1/audit/export",
    "/api/v1/share-links",
    "/api/v1/redaction",
]


def login(live_server, email: str, password: str) -> str:
    with live_server.client() as anonymous:
        answer = anonymous.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        return answer.json()["token"]


def owner_token(live_server, tenant) -> str:
    return login(live_server, tenant.owner_email, tenant.owner_password)


def member_token(live_server, tenant, role: str, projects: list[str] | None = None) -> str:
    """A new person invited by the owner with `role`, who accepts and logs in."""
    email, password = f"{role}-{uid()}@example.test", "pw-" + uid()
    with live_server.client(owner_token(live_server, tenant)) as owner:
        invited = owner.post("/api/v1/invitations", json={"email": email, "role": role, "projects": projects})
        assert invited.status_code == 201, invited.text
    with live_server.client() as anonymous:
        accepted = anonymous.post(
            "/api/v1/invitations/accept", json={"token": invited.json()["token"], "password": password}
        )
        assert accepted.status_code == 200, accepted.text
    return login(live_server, email, password)


def staff_token(live_server, role: str = "staff") -> str:
    email, password = f"staff-{uid()}@example.test", "pw-" + uid()
    StaffService(live_server.accounts()._rt).create_staff(email, password, role)
    return login(live_server, email, password)


def test_p16_invitation_token_makes_a_member_once_and_expires(live_server):
    tenant = live_server.new_tenant("invites")
    email = f"new-{uid()}@example.test"
    with live_server.client(owner_token(live_server, tenant)) as owner:
        invited = owner.post("/api/v1/invitations", json={"email": email, "role": "viewer"}).json()
        assert invited["token"].startswith("pwi_") and invited["link"].endswith(invited["token"])
        revoked = owner.post("/api/v1/invitations", json={"email": f"x-{uid()}@example.test"}).json()
        assert owner.delete(f"/api/v1/invitations/{revoked['id']}").status_code == 204
    with live_server.client() as anonymous:
        accept = {"token": invited["token"], "password": "a long password"}
        assert anonymous.post("/api/v1/invitations/accept", json={**accept, "password": "short"}).status_code == 422
        assert anonymous.post("/api/v1/invitations/accept", json=accept).json()["role"] == "viewer"
        assert anonymous.post("/api/v1/invitations/accept", json=accept).status_code == 410  # used
        gone = anonymous.post("/api/v1/invitations/accept", json={"token": revoked["token"], "password": "x" * 9})
        assert gone.status_code == 410
        assert anonymous.post("/api/v1/invitations/accept", json={"token": "pwi_" + uid() * 2}).status_code == 404
    with live_server.client(login(live_server, email, "a long password")) as viewer:
        me = viewer.get("/api/v1/me").json()
        assert (me["role"], me["scope"], me["account"]["id"]) == ("viewer", "read", tenant.account_id)
    with live_server.client(owner_token(live_server, tenant)) as owner:
        states = {i["email"]: i for i in owner.get("/api/v1/invitations").json()["items"]}
        assert states[email]["accepted_at"] and "token" not in states[email]
        actions = [e["action"] for e in owner.get("/api/v1/audit").json()["items"]]
        assert {"member.invite", "member.join", "member.invitation_revoke"} <= set(actions)


@pytest.mark.parametrize("role", ["viewer", "member", "admin", "owner"])
def test_p16_each_role_may_do_what_its_role_allows(live_server, role):
    tenant = live_server.new_tenant(f"role-{role}")
    token = owner_token(live_server, tenant) if role == "owner" else member_token(live_server, tenant, role)
    rank = ["viewer", "member", "admin", "owner"].index(role)
    with live_server.client(token) as person:
        assert person.get("/api/v1/sessions").status_code == 200  # everyone reads
        written = person.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), uid("s-"))]})
        assert (written.status_code == 200) is (rank >= 1), written.text  # members write data
        assert (person.get("/api/v1/keys").status_code == 200) is (rank >= 2)  # admins manage keys
        invite = person.post("/api/v1/invitations", json={"email": f"{uid()}@example.test", "role": "viewer"})
        assert (invite.status_code == 201) is (rank >= 2)  # ... and members
        grant = person.post("/api/v1/support-grants", json={"reason": "ticket 7"})
        assert (grant.status_code == 201) is (rank >= 2)  # owners and admins grant support access
        redaction = person.put("/api/v1/redaction", json={"email": True})
        assert (redaction.status_code == 200) is (rank >= 2)  # settings
        owner_invite = person.post("/api/v1/invitations", json={"email": f"{uid()}@example.test", "role": "owner"})
        assert (owner_invite.status_code == 201) is (rank >= 3)  # only an owner makes an owner
        assert person.get("/api/v1/admin/accounts").status_code == 403  # nobody of an account is staff


def test_p16_roles_change_and_an_account_keeps_an_owner(live_server):
    tenant = live_server.new_tenant("owners")
    admin = member_token(live_server, tenant, "admin")
    with live_server.client(owner_token(live_server, tenant)) as owner:
        members = {m["email"]: m for m in owner.get("/api/v1/members").json()["items"]}
        owner_id = members[tenant.owner_email]["id"]
        assert owner.patch(f"/api/v1/members/{owner_id}", json={"role": "admin"}).status_code == 409
        assert owner.delete(f"/api/v1/members/{owner_id}").status_code == 409
    with live_server.client(admin) as person:
        assert person.patch(f"/api/v1/members/{owner_id}", json={"role": "viewer"}).status_code == 403
        me = person.get("/api/v1/me").json()["user"]["id"]
    with live_server.client(owner_token(live_server, tenant)) as owner:
        assert owner.patch(f"/api/v1/members/{me}", json={"role": "viewer"}).json()["role"] == "viewer"
    with live_server.client(admin) as person:
        assert person.get("/api/v1/me").json()["role"] == "viewer"
        assert person.get("/api/v1/keys").status_code == 403  # the new role holds at once
    with live_server.client(owner_token(live_server, tenant)) as owner:
        assert owner.delete(f"/api/v1/members/{me}").status_code == 204
    with live_server.client(admin) as person:
        assert person.get("/api/v1/me").status_code == 403  # no account any more


def test_p16_project_limited_membership_sees_only_its_projects(live_server):
    tenant = live_server.new_tenant("limited-member")
    alpha, beta, gamma = uid("s-"), uid("s-"), uid("s-")
    with live_server.client(tenant.api_key) as key:
        key.post(
            "/api/v1/ingest",
            json={
                "sessions": [
                    session(alpha, tracking_project="alpha"),
                    session(beta, tracking_project="beta"),
                    session(gamma, tracking_project="gamma"),
                ]
            },
        )
    token = member_token(live_server, tenant, "member", projects=["alpha", "gamma"])
    with live_server.client(token) as person:
        me = person.get("/api/v1/me").json()
        assert (me["project"], me["projects"]) == ("alpha", ["alpha", "gamma"])
        assert [s["id"] for s in person.get("/api/v1/sessions").json()["items"]] == [alpha]
        assert person.get(f"/api/v1/sessions/{beta}").status_code == 404
        gamma_view = person.get("/api/v1/sessions", headers={"X-PromptWatch-Project": "gamma"}).json()
        assert [s["id"] for s in gamma_view["items"]] == [gamma]
        assert person.get("/api/v1/sessions", headers={"X-PromptWatch-Project": "beta"}).status_code == 403
        written = person.post("/api/v1/ingest", json={"sessions": [session(uid("s-"), tracking_project="beta")]})
        assert written.json()["sessions"][0]["status"] == "invalid"
    with live_server.client(owner_token(live_server, tenant)) as owner:
        items = owner.get("/api/v1/members").json()["items"]
        assert [m["projects"] for m in items if m["role"] == "member"] == [["alpha", "gamma"]]


def test_p16_rotated_key_gets_a_new_secret_and_the_old_one_stops(live_server):
    tenant = live_server.new_tenant("rotation")
    with live_server.client(owner_token(live_server, tenant)) as owner:
        created = owner.post("/api/v1/keys", json={"scope": "read", "name": "to rotate"}).json()
        with live_server.client(created["api_key"]) as old:
            assert old.get("/api/v1/sessions").status_code == 200
        rotated = owner.post(f"/api/v1/keys/{created['key_id']}/rotate")
        assert rotated.status_code == 200
        assert rotated.json()["key_id"] == created["key_id"] and rotated.json()["api_key"] != created["api_key"]
        assert owner.post("/api/v1/keys/pk_unknown/rotate").status_code == 404
        actions = [e["action"] for e in owner.get("/api/v1/audit", params={"action": "key."}).json()["items"]]
        assert actions[:2] == ["key.rotate", "key.create"]
    with live_server.client(created["api_key"]) as old:
        assert old.get("/api/v1/sessions").status_code == 401
    with live_server.client(rotated.json()["api_key"]) as new:
        assert new.get("/api/v1/sessions").status_code == 200


def test_p16_staff_manage_the_instance_and_see_no_customer_data(live_server):
    tenant = live_server.new_tenant("watched")
    sid, aid = uid("s-"), uid("a-")
    with live_server.client(tenant.api_key) as key:
        key.post("/api/v1/ingest", json={"activities": [llm(aid, sid, prompt="customer secret")]})
    with live_server.client(staff_token(live_server)) as staff:
        for method, path in STAFF_ROUTES[:4]:
            assert staff.request(method, path).status_code == 200, path
        health = staff.get("/api/v1/admin/health").json()
        assert health["ready"] and health["accounts"] >= 1
        accounts = {a["id"]: a for a in staff.get("/api/v1/admin/accounts").json()["items"]}
        assert set(accounts[tenant.account_id]) == {"id", "name", "kind", "created_at", "expires_at", "members", "plan"}
        assert accounts[tenant.account_id]["plan"] == "free"
        usage = {u["account_id"]: u for u in staff.get("/api/v1/admin/usage").json()["items"]}
        assert usage[tenant.account_id]["sessions"] == 1 and usage[tenant.account_id]["llm_calls"] == 1
        assert "customer secret" not in staff.get("/api/v1/admin/usage").text
        me = staff.get("/api/v1/me").json()
        assert (me["account"], me["instance_role"], me["scope"]) == (None, "staff", "none")
        for path in CUSTOMER_DATA_READS:  # no customer data by default, whichever account is named
            response = staff.get(path, headers={"X-PromptWatch-Account": str(tenant.account_id)})
            assert response.status_code == 403, (path, response.status_code)
        assert staff.get(f"/api/v1/sessions/{sid}").status_code == 403
        assert staff.get(f"/api/v1/activities/{aid}").status_code == 403
        assert staff.get(f"/api/v1/support/accounts/{tenant.account_id}/sessions/{sid}").status_code == 403
    with live_server.client(tenant.api_key) as key:
        for method, path in STAFF_ROUTES:
            assert key.request(method, fill(path, account_id=tenant.account_id)).status_code == 403, path
