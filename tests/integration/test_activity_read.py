"""`GET /api/v1/activities/{id}`: one activity exactly as its session's detail lists it, with `session_id`;
readable only by its own account and, for a project-limited key or membership, only in its project."""

from __future__ import annotations

import pytest

from tests.support.payloads import chain, llm, session, uid

from .test_p16_roles import member_token, owner_token

EMAIL = "jane.doe@example.org"


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_an_activity_reads_as_its_session_detail_lists_it_with_its_session_id(live_server, encrypted):
    tenant = live_server.new_tenant("activity-read")
    with live_server.client(owner_token(live_server, tenant)) as owner:
        assert owner.put("/api/v1/redaction", json={"email": True}).status_code == 200
        if encrypted:
            assert owner.put("/api/v1/account/encryption", json={"enabled": True}).json() == {"enabled": True}
    sid, parent, child = uid("s-"), uid("a-"), uid("a-")
    activities = [
        chain(parent, sid, outputs={"answer": 42}, metadata={"step": 1}, tags=["first"]),
        llm(
            child,
            sid,
            parent_activity_id=parent,
            prompt=f"write to {EMAIL}",
            usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
            feedback_notes="fine",
        ),
    ]
    with live_server.client(tenant.api_key) as client:
        stored = client.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": activities})
        assert stored.json()["stored"] == 3, stored.text
        listed = client.get(f"/api/v1/sessions/{sid}").json()["activities"]
        read = [client.get(f"/api/v1/activities/{a['id']}") for a in listed]
    assert [r.status_code for r in read] == [200, 200], [r.text for r in read]
    assert [r.json() for r in read] == [{**a, "session_id": sid} for a in listed]
    assert read[1].json()["prompt"].startswith("write to ") and EMAIL not in read[1].text  # masked at ingest


def test_an_unknown_or_another_accounts_activity_is_a_404_problem(live_server):
    owner, stranger = live_server.new_tenant("activity-owner"), live_server.new_tenant("activity-stranger")
    aid = uid("a-")
    for tenant, prompt in ((owner, "owner's prompt"), (stranger, "stranger's prompt")):  # one id in each account
        with live_server.client(tenant.api_key) as client:
            assert client.post("/api/v1/ingest", json={"activities": [llm(aid, uid("s-"), prompt=prompt)]}).is_success
    with live_server.client(stranger.api_key) as client:
        assert client.get(f"/api/v1/activities/{aid}").json()["prompt"] == "stranger's prompt"
        missing = client.get(f"/api/v1/activities/{uid('a-')}")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["status"] == 404
    with live_server.client(owner.api_key) as client:
        assert client.get(f"/api/v1/activities/{aid}").json()["prompt"] == "owner's prompt"


def test_a_project_limited_key_or_member_reads_only_its_projects_activities(live_server):
    tenant = live_server.new_tenant("activity-projects")
    placed = {project: (uid("s-"), uid("a-")) for project in ("alpha", "beta", None)}
    with live_server.client(tenant.api_key) as full:
        body = {
            "sessions": [session(sid, tracking_project=project) for project, (sid, _) in placed.items() if project],
            "activities": [llm(aid, sid) for sid, aid in placed.values()],
        }
        assert full.post("/api/v1/ingest", json=body).json()["stored"] == 5
    key = live_server.accounts()._rt.keys.create(tenant.account_id, "read", project="alpha")
    member = member_token(live_server, tenant, "viewer", projects=["alpha", "gamma"])
    in_gamma = {"X-PromptWatch-Project": "gamma"}
    for credential, headers, readable in ((key, {}, "alpha"), (member, {}, "alpha"), (member, in_gamma, "gamma")):
        with live_server.client(credential) as client:
            for project, (sid, aid) in placed.items():
                expected = 200 if project == readable else 404  # the status its session's detail answers
                assert client.get(f"/api/v1/sessions/{sid}", headers=headers).status_code == expected
                assert client.get(f"/api/v1/activities/{aid}", headers=headers).status_code == expected, project


def test_a_body_cannot_pass_for_another_projects_activity(live_server):
    """The published client's endpoints keep unknown fields in the body: one named like the session's labels
    changes neither the project the read is checked against nor the session it names."""
    tenant = live_server.new_tenant("activity-labels")
    sid, aid = uid("s-"), uid("a-")
    with live_server.client(tenant.api_key) as full:
        assert full.post("/sessions/start", json={"id": sid, "tracking_project": "beta"}).status_code == 200
        item = {**llm(aid, sid), "tracking_project": "alpha", "session_id": "elsewhere"}
        assert full.post(f"/sessions/{sid}/activities", json=[item]).status_code == 200
    for project, expected in (("alpha", 404), ("beta", 200)):
        key = live_server.accounts()._rt.keys.create(tenant.account_id, "read", project=project)
        with live_server.client(key) as client:
            answer = client.get(f"/api/v1/activities/{aid}")
            assert answer.status_code == expected, (project, answer.text)
            if expected == 200:
                assert answer.json()["session_id"] == sid
