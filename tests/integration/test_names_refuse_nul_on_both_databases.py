"""NUL (`\\u0000`, valid JSON) is text PostgreSQL cannot hold and SQLite can. In a name, a label, an id, an
e-mail or a token the native API refuses it on both databases, with a 422 naming the field (`string_nul`), and
creates nothing; in free text it is stored as U+FFFD, as ingest stores it. So an account's own export always
imports: before, SQLite stored a NUL in a dataset's project (which created the project), and the audit entry of
a retention policy set for it made import refuse the archive."""

from __future__ import annotations

import pytest

from tests.support.payloads import session, uid

NUL = "x\u0000y"
ZIP = {"content-type": "application/zip"}

# (method, path, body, the field the 422 names): every request model of the native API that an admin key
# reaches (the public forms and the operator's are checked in tests/unit/server/api)
NAMES = [
    ("POST", "/api/v1/keys", {"name": NUL}, "name"),
    ("POST", "/api/v1/keys", {"project": NUL}, "project"),
    ("POST", "/api/v1/auth/login", {"email": NUL, "password": "pw"}, "email"),
    ("POST", "/api/v1/prices/overrides", {"model": NUL, "input_per_mtok": 1, "output_per_mtok": 2}, "model"),
    ("POST", "/api/v1/prices/unpriced/price", {"model": NUL}, "model"),
    ("POST", "/api/v1/deletions/time-range", {"project": NUL}, "project"),
    ("PUT", "/api/v1/retention", {"project": NUL, "content_days": 5}, "project"),
    ("POST", "/api/v1/invitations", {"email": NUL}, "email"),
    ("POST", "/api/v1/invitations", {"email": "a@example.test", "projects": ["ok", NUL]}, "projects.1"),
    ("POST", "/api/v1/invitations/accept", {"token": "t" * 10 + NUL}, "token"),
    ("PATCH", "/api/v1/members/1", {"projects": [NUL]}, "projects.0"),
    ("POST", "/api/v1/support-grants", {"scope": "sessions", "session_ids": [NUL], "reason": "r"}, "session_ids.0"),
    ("POST", "/api/v1/share-links", {"object_id": NUL}, "object_id"),
    ("PUT", "/api/v1/redaction", {"custom": [{"name": "mine", "pattern": NUL}]}, "custom.0.pattern"),
    ("POST", "/api/v1/templates/t/versions", {"template": "Hi {x}", "version": NUL}, "version"),
    ("POST", "/api/v1/templates/t/versions", {"template": "Hi {x}", "input_params": [NUL]}, "input_params.0"),
    ("PUT", "/api/v1/templates/t/labels/prod", {"version": NUL}, "version"),
    ("PUT", "/api/v1/providers/p", {"base_url": "https://" + NUL}, "base_url"),
    ("POST", "/api/v1/activities/a/replay", {"model": NUL}, "model"),
    ("POST", "/api/v1/datasets", {"name": "ds", "project": NUL}, "project"),
    (
        "POST",
        "/api/v1/datasets/ds/items",
        {"items": [{"input": 1, "source_session_id": NUL}]},
        "items.0.source_session_id",
    ),
    ("POST", "/api/v1/datasets/ds/items/from-activity", {"activity_id": NUL}, "activity_id"),
    ("PUT", "/api/v1/account/profile", {"name": NUL}, "name"),
    ("PUT", "/api/v1/account/profile", {"contact_email": NUL}, "contact_email"),
    ("PUT", "/api/v1/account/billing-profile", {"vat_id": NUL}, "vat_id"),
    ("POST", "/api/v1/page-views", {"path": NUL}, "path"),
    ("POST", "/api/v1/usage-stats/features", {"feature": NUL}, "feature"),
]


@pytest.fixture(scope="module")
def admin(live_server):
    """An admin key of an account of its own, with a dataset `ds` (its routes answer 404 before the body)."""
    tenant = live_server.new_tenant("nul-names")
    key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin", name="nul")
    with live_server.client(key) as client:
        assert client.post("/api/v1/datasets", json={"name": "ds"}).status_code == 201
    return key


@pytest.mark.parametrize(("method", "path", "body", "field"), NAMES, ids=[f"{c[1]}:{c[3]}" for c in NAMES])
def test_a_nul_in_a_name_is_a_422_naming_the_field(live_server, admin, method, path, body, field):
    with live_server.client(admin) as client:
        answer = client.request(method, path, json=body)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        errors = [(e["field"], e["type"]) for e in answer.json()["errors"]]
        assert errors == [(field, "string_nul")], answer.text
        assert client.get("/api/v1/projects").json()["items"] == []


def test_a_nul_in_free_text_is_stored_as_a_replacement_character(live_server):
    tenant = live_server.new_tenant("nul-text")
    sid = uid("s-")
    with live_server.client(live_server.accounts()._rt.keys.create(tenant.account_id, "admin")) as client:
        assert client.post("/api/v1/ingest", json={"sessions": [session(sid)]}).json()["stored"] == 1
        notes = client.put(f"/api/v1/sessions/{sid}/annotation", json={"notes": "so\u0000so"})
        assert (notes.status_code, notes.json()["notes"]) == (200, "so\ufffdso"), notes.text
        profile = client.put("/api/v1/account/profile", json={"address": "1\u0000 Main St"})
        assert (profile.status_code, profile.json()["address"]) == (200, "1\ufffd Main St"), profile.text
        dataset = client.post("/api/v1/datasets", json={"name": uid("ds-"), "description": "d\u0000"})
        assert (dataset.status_code, dataset.json()["description"]) == (201, "d\ufffd"), dataset.text


def test_a_nul_the_server_stored_does_not_make_the_export_unimportable(live_server):
    """The robustness trial's case: a dataset's project with a NUL, then a retention policy for that project,
    then the account's export into another account."""
    source = live_server.new_tenant("nul-export")
    with live_server.client(live_server.accounts()._rt.keys.create(source.account_id, "admin")) as admin:
        created = admin.post("/api/v1/datasets", json={"name": uid("ds-"), "project": "p\u0000"})
        assert created.status_code == 422 and created.json()["errors"][0]["field"] == "project", created.text
        put = admin.put("/api/v1/retention", json={"project": "p\u0000", "content_days": 5})
        assert put.status_code == 422 and put.json()["errors"][0]["field"] == "project", put.text
        assert admin.get("/api/v1/projects").json()["items"] == []
        archive = admin.get("/api/v1/export")
        assert archive.status_code == 200, archive.text
    target = live_server.new_tenant("nul-import")
    with live_server.client(live_server.accounts()._rt.keys.create(target.account_id, "admin")) as admin:
        answer = admin.post("/api/v1/import", content=archive.content, headers=ZIP)
    assert answer.status_code == 200, answer.text
