"""Settings that name a project: a retention policy needs one that exists (it never creates one); a key may
be limited to a project not used yet (created with it, as ingest creates a project on first use), under
the rule for a project label."""

from __future__ import annotations

from tests.support.payloads import session, uid


def test_a_policy_for_an_unknown_project_is_404_and_creates_no_project(live_server):
    tenant = live_server.new_tenant("retention-project")
    admin = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(admin) as client:
        answer = client.put("/api/v1/retention", json={"project": "nope", "content_days": 30})
        assert answer.status_code == 404, answer.text
        assert answer.json()["detail"] == "no project 'nope'"
        assert client.get("/api/v1/projects").json()["items"] == []
        assert client.get("/api/v1/retention").json()["items"] == []


def test_a_key_may_name_a_project_not_used_yet_but_not_an_invalid_label(live_server):
    tenant = live_server.new_tenant("key-project")
    admin = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(admin) as client:
        for bad in ("", "two words", "x" * 257):
            answer = client.post("/api/v1/keys", json={"scope": "ingest", "project": bad})
            assert answer.status_code == 422, (bad, answer.text)
            problem = answer.json()
            assert problem.get("field") == "project" or [e["field"] for e in problem["errors"]] == ["project"]
        assert client.get("/api/v1/projects").json()["items"] == []
        created = client.post("/api/v1/keys", json={"scope": "ingest", "project": "next-app"})
        assert created.status_code == 201, created.text
        assert [p["name"] for p in client.get("/api/v1/projects").json()["items"]] == ["next-app"]
    sid = uid("s-")
    with live_server.client(created.json()["api_key"]) as limited:
        assert limited.post("/api/v1/ingest", json={"sessions": [session(sid)]}).json()["stored"] == 1
        assert limited.get(f"/api/v1/sessions/{sid}").json()["tracking_project"] == "next-app"
