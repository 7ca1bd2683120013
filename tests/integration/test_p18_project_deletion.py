"""P18 for a project: deleting it takes every row of it and leaves its name nowhere in clear. Its redaction
rules go with its retention policy; invitations and members limited to it lose that limit, and those limited
to it alone are removed (with no limit left they would reach the whole account); the audit entries that name
it hold the hash its receipt holds."""

from __future__ import annotations

import io
import json
import zipfile

from tests.integration.test_p18_user_erasure import PASSWORD
from tests.support.mailbox import login
from tests.support.payloads import llm, session, uid

PROJECT = "support-bot"


def invite(server, client, projects: list[str], accept: bool = False) -> str:
    """An invitation limited to `projects`, accepted with a password when `accept`; returns the e-mail."""
    email = f"limited-{uid()}@example.test"
    invited = client.post("/api/v1/invitations", json={"email": email, "role": "member", "projects": projects})
    assert invited.status_code == 201, invited.text
    if accept:
        with server.client() as anonymous:
            token = invited.json()["token"]
            accepted = anonymous.post("/api/v1/invitations/accept", json={"token": token, "password": PASSWORD})
            assert accepted.status_code == 200, accepted.text
    return email


def export_text(client) -> str:
    answer = client.get("/api/v1/export")
    assert answer.status_code == 200, answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        return "\n".join(archive.read(name).decode() for name in archive.namelist())


def test_p18_a_deleted_project_takes_its_redaction_rules_limits_and_name(live_server):
    tenant = live_server.new_tenant("project-leftovers")
    owner_token = login(live_server, tenant.owner_email, tenant.owner_password)
    sid = uid("s-")
    with live_server.client(owner_token) as owner:
        ingested = owner.post(
            "/api/v1/ingest",
            json={
                "sessions": [session(sid, tracking_project=PROJECT), session(uid("s-"), tracking_project="blog")],
                "activities": [llm(uid("a-"), sid)],
            },
        )
        assert ingested.json()["rejected"] == 0, ingested.text
        for project in (PROJECT, "blog"):
            rules = owner.put("/api/v1/redaction", params={"project": project}, json={"email": True})
            assert rules.status_code == 200, rules.text
        assert owner.put("/api/v1/retention", json={"project": PROJECT, "content_days": 30}).status_code == 200
        key = owner.post("/api/v1/keys", json={"scope": "read", "project": PROJECT})
        assert key.status_code == 201, key.text
        invite(live_server, owner, [PROJECT])
        kept_invitation = invite(live_server, owner, [PROJECT, "blog"])
        only_there = invite(live_server, owner, [PROJECT], accept=True)
        also_elsewhere = invite(live_server, owner, [PROJECT, "blog"], accept=True)
        assert PROJECT in export_text(owner)

        receipt = owner.delete(f"/api/v1/projects/{PROJECT}")
        assert receipt.status_code == 200, receipt.text
        project_hash = receipt.json()["target"]

        assert list(owner.get("/api/v1/redaction").json()["projects"]) == ["blog"]
        invitations = {i["email"]: i["projects"] for i in owner.get("/api/v1/invitations").json()["items"]}
        assert invitations == {kept_invitation: ["blog"], also_elsewhere: ["blog"]}
        members = {m["email"]: m["projects"] for m in owner.get("/api/v1/members").json()["items"]}
        assert only_there not in members and members[also_elsewhere] == ["blog"]
        settings = owner.get("/api/v1/audit", params={"action": "settings."}).json()["items"]
        assert {e["target"] for e in settings if e["target"] != "blog"} == {project_hash}
        whole_log = json.dumps(owner.get("/api/v1/audit", params={"limit": 500}).json()["items"])
        assert PROJECT not in whole_log and project_hash in whole_log
        assert PROJECT not in export_text(owner)

    with live_server.client() as anonymous:  # the member limited to it alone is a member no more
        signed_in = anonymous.post("/api/v1/auth/login", json={"email": only_there, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["accounts"] == []
    with live_server.client(signed_in.json()["token"]) as person:
        assert person.get("/api/v1/sessions").status_code == 403


def test_p18_a_deleted_project_takes_its_cache_namespaces_with_their_entries_and_counts(live_server):
    tenant = live_server.new_tenant("project-cache")
    keys = live_server.accounts()._rt.keys
    limited = keys.create(tenant.account_id, "ingest", project=PROJECT)
    admin = keys.create(tenant.account_id, "admin")
    kept = {"blog.faq", f"{PROJECT}x.faq"}  # another project's, and one whose name only starts like it
    with live_server.client(limited) as mine, live_server.client(admin) as owner:
        for client, namespace in ((mine, f"{PROJECT}.faq"), (owner, PROJECT), *((owner, n) for n in kept)):
            stored = client.post(
                f"/api/v1/cache/{namespace}/entries", json={"text": "How do I reset it?", "result": "So."}
            )
            assert stored.status_code in (200, 201), stored.text
            assert client.post(f"/api/v1/cache/{namespace}/lookup", json={"text": "How do I reset it?"}).json()["hit"]
        assert {f"{PROJECT}.faq", PROJECT} <= set(n["namespace"] for n in owner.get("/api/v1/cache").json()["items"])

        receipt = owner.delete(f"/api/v1/projects/{PROJECT}")
        assert receipt.status_code == 200, receipt.text
        assert receipt.json()["counts"]["other_rows"] >= 2  # the two namespaces' entries (and counts written)

        assert {n["namespace"] for n in owner.get("/api/v1/cache").json()["items"]} == kept
        assert f'"{PROJECT}.faq"' not in export_text(owner) and f'"{PROJECT}"' not in export_text(owner)


def test_p18_an_export_from_before_its_project_was_deleted_brings_no_invitation_limited_to_it_back(live_server):
    """Imported into the account again (it must then hold none of the archive's objects), an invitation of the
    archive limited to the deleted project alone stays out, as the deletion removed it (with no limit left it
    would reach the whole account), and the project's name does not come back."""
    tenant = live_server.new_tenant("project-import")
    owner_token = login(live_server, tenant.owner_email, tenant.owner_password)
    with live_server.client(owner_token) as owner:
        assert (
            owner.post("/api/v1/ingest", json={"sessions": [session(uid("s-"), tracking_project=PROJECT)]}).json()[
                "rejected"
            ]
            == 0
        )
        invite(live_server, owner, [PROJECT])
        archive = owner.get("/api/v1/export")
        assert archive.status_code == 200, archive.text
        assert owner.delete(f"/api/v1/projects/{PROJECT}").status_code == 200
        imported = owner.post("/api/v1/import", content=archive.content, headers={"content-type": "application/zip"})
        assert imported.status_code == 200, imported.text
        assert imported.json()["left_out_deleted"]["invitations"] == 1
        assert owner.get("/api/v1/invitations").json()["items"] == []
        assert PROJECT not in export_text(owner)
