"""Every request field that names a project follows the rule ingest applies to `tracking_project` (1–256
characters, no whitespace): a project is created on first use by several of them, and one created as "has
space" by a dataset could not be named by a key afterwards. A name that breaks the rule is a 422 naming the
field, and no project is created."""

from __future__ import annotations

import pytest

from tests.support.payloads import uid

BAD = ["has space", "tab\there", "x" * 257, ""]

# (method, path, body of a bad name, the field the 422 names)
CASES = [
    ("POST", "/api/v1/datasets", lambda bad: {"name": uid("ds-"), "project": bad}, "project"),
    ("POST", "/api/v1/keys", lambda bad: {"scope": "ingest", "project": bad}, "project"),
    ("PUT", "/api/v1/retention", lambda bad: {"project": bad, "content_days": 5}, "project"),
    ("POST", "/api/v1/deletions/time-range", lambda bad: {"project": bad}, "project"),
    ("POST", "/api/v1/invitations", lambda bad: {"email": f"{uid()}@example.test", "projects": [bad]}, "projects.0"),
    ("PATCH", "/api/v1/members/1", lambda bad: {"projects": [bad]}, "projects.0"),
]


@pytest.fixture(scope="module")
def admin(live_server):
    tenant = live_server.new_tenant("project-fields")
    return live_server.accounts()._rt.keys.create(tenant.account_id, "admin")


@pytest.mark.parametrize("bad", BAD, ids=["space", "tab", "too-long", "empty"])
@pytest.mark.parametrize(("method", "path", "body", "field"), CASES, ids=[f"{c[1]}:{c[3]}" for c in CASES])
def test_a_project_name_that_breaks_the_label_rule_is_a_422(live_server, admin, method, path, body, field, bad):
    with live_server.client(admin) as client:
        answer = client.request(method, path, json=body(bad))
        assert answer.status_code == 422, answer.text
        assert [e["field"] for e in answer.json()["errors"]] == [field], answer.text
        assert client.get("/api/v1/projects").json()["items"] == []


@pytest.mark.parametrize("bad", BAD[:3], ids=["space", "tab", "too-long"])
def test_the_redaction_rules_of_a_project_take_the_same_names(live_server, admin, bad):
    with live_server.client(admin) as client:
        answer = client.put("/api/v1/redaction", params={"project": bad}, json={"email": True})
        assert answer.status_code == 422, answer.text
        assert [e["field"] for e in answer.json()["errors"]] == ["query.project"], answer.text
        assert client.get("/api/v1/redaction").json()["projects"] == {}


def test_a_dataset_creates_a_project_that_a_key_can_be_limited_to(live_server, admin):
    project = uid("app-")
    with live_server.client(admin) as client:
        created = client.post("/api/v1/datasets", json={"name": uid("ds-"), "project": project})
        assert (created.status_code, created.json()["project"]) == (201, project), created.text
        key = client.post("/api/v1/keys", json={"scope": "ingest", "project": project})
        assert key.status_code == 201, key.text
