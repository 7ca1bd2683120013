"""One rule for the Content-Type of a JSON body on the native API: with a credential, a body sent without
one, or as `text/plain` (what many HTTP tools send by default), is read as JSON on every route that takes
JSON, as ingest reads it; a body declared as another type (a form, XML), or sent so without a credential,
is a 415 problem saying the body must be JSON, and nothing is stored. Creating a template version answers
201, as creating a key or a dataset does."""

from __future__ import annotations

import orjson
import pytest

from tests.support.payloads import llm, uid

READ_AS_JSON = [None, "text/plain", "text/plain; charset=utf-8", "application/json", "application/merge-patch+json"]
NOT_JSON = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"]


def send(client, method: str, path: str, body: dict, content_type: str | None):
    headers = {"content-type": content_type} if content_type else {}
    return client.request(method, path, content=orjson.dumps(body), headers=headers)


@pytest.fixture
def tenant(live_server):
    tenant = live_server.new_tenant("content-types")
    admin = live_server.accounts()._rt.keys.create(tenant.account_id, "admin", name="content-types")
    sid, aid = uid("s-"), uid("a-")
    with live_server.client(admin) as client:
        assert client.post("/api/v1/ingest", json={"activities": [llm(aid, sid)]}).json()["stored"] == 1
        yield tenant, client, aid


def json_routes(tenant, aid: str) -> list[tuple[str, str, dict, int]]:
    """(method, path, body, status) of routes that take a JSON body; each call creates something new."""
    return [
        ("POST", "/api/v1/keys", {"scope": "read", "name": uid("key-")}, 201),
        ("POST", "/api/v1/auth/login", {"email": tenant.owner_email, "password": tenant.owner_password}, 200),
        ("POST", f"/api/v1/templates/{uid('t-')}/versions", {"template": "Answer {question} using {notes}"}, 201),
        ("POST", "/api/v1/datasets", {"name": uid("ds-")}, 201),
        ("PUT", f"/api/v1/activities/{aid}/annotation", {"label": 1, "notes": uid("note-")}, 200),
    ]


@pytest.mark.parametrize("content_type", READ_AS_JSON, ids=lambda t: t or "none")
def test_a_json_body_without_a_json_content_type_is_read_as_json(tenant, content_type):
    tenant, client, aid = tenant
    for method, path, body, status in json_routes(tenant, aid):
        answer = send(client, method, path, body, content_type)
        assert answer.status_code == status, (path, answer.text)
    assert client.get(f"/api/v1/activities/{aid}/annotation").json()["label"] == 1


@pytest.mark.parametrize("content_type", NOT_JSON)
def test_a_body_declared_as_another_type_is_a_415_saying_it_must_be_json(tenant, content_type):
    tenant, client, aid = tenant
    keys_before = client.get("/api/v1/keys").json()
    for method, path, body, _status in json_routes(tenant, aid):
        answer = send(client, method, path, body, content_type)
        assert answer.status_code == 415, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["title"] == "Unsupported media type" and problem["status"] == 415
        assert problem["detail"].startswith("the body must be JSON"), problem
        assert content_type.split(";")[0] in problem["detail"], problem
    assert client.get("/api/v1/keys").json() == keys_before
    assert client.get("/api/v1/templates").json()["items"] == []
    assert client.get("/api/v1/datasets").json()["items"] == []
    assert client.get(f"/api/v1/activities/{aid}/annotation").json()["updated_at"] is None
    # ingest reads its body whatever its type: the README's curl sends `-d`, which curl declares as a form
    body = orjson.dumps({"activities": [llm(uid("a-"), uid("s-"))]})
    assert client.post("/api/v1/ingest", content=body, headers={"content-type": content_type}).json()["stored"] == 1


def test_a_body_that_is_not_json_is_still_a_422_whatever_its_content_type(tenant):
    _tenant, client, _aid = tenant
    for content_type in (None, "text/plain"):
        headers = {"content-type": content_type} if content_type else {}
        answer = client.post("/api/v1/datasets", content=b"name=x", headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"] == [
            {"field": "body", "message": answer.json()["errors"][0]["message"], "type": "json_invalid"}
        ]


def test_creating_a_template_version_answers_201_and_finding_it_again_200(tenant):
    _tenant, client, _aid = tenant
    path = f"/api/v1/templates/{uid('t-')}/versions"
    first = client.post(path, json={"template": "Hi {name}"})
    assert first.status_code == 201 and first.json()["created"] is True, first.text
    again = client.post(path, json={"template": "Hi {name}"})
    assert again.status_code == 200 and again.json() == {**first.json(), "created": False}, again.text


@pytest.mark.parametrize("content_type", [None, "text/plain"], ids=lambda t: t or "none")
def test_without_a_credential_a_body_must_be_declared_as_json(live_server, content_type):
    """What a page of another site can make its visitors' browsers send without asking first: no sign-in,
    sign-up or waitlist entry comes of it."""
    tenant = live_server.new_tenant("content-types-anonymous")
    with live_server.client() as anonymous:
        body = {"email": tenant.owner_email, "password": tenant.owner_password}
        answer = send(anonymous, "POST", "/api/v1/auth/login", body, content_type)
        assert answer.status_code == 415, answer.text
        assert answer.json()["detail"].startswith("the body must be JSON"), answer.text
        assert send(anonymous, "POST", "/api/v1/auth/login", body, "application/json").status_code == 200
