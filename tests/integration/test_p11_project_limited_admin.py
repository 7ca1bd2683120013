"""Clause P11 (scoped keys) and docs/access.md: an admin key or membership limited to one project manages that
project only, never the account. The tables below sort every route that changes something; a test checks
that a new route is sorted, so it cannot forget the project limit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from promptwatch.server.store import lifecycle as lifecycle_store
from tests.support.payloads import session, uid

from .test_access_isolation import PUBLIC, STAFF_ROUTES, app_routes, fill

MUTATING = ("POST", "PUT", "PATCH", "DELETE")
# account-wide: 403 to a project-limited admin, with the body each needs to pass validation
ACCOUNT_WIDE_ROUTES = {
    ("POST", "/api/v1/keys/{key_id}/rotate"): None,
    ("POST", "/api/v1/prices/overrides"): {"model": "m", "input_per_mtok": 1, "output_per_mtok": 2},
    ("DELETE", "/api/v1/prices/overrides/{override_id}"): None,
    ("POST", "/api/v1/prices/unpriced/price"): {},
    ("DELETE", "/api/v1/tenants/{tenant}"): None,
    ("DELETE", "/api/v1/account"): None,
    ("PUT", "/api/v1/retention"): {"project": None, "content_days": 1},
    ("POST", "/api/v1/import"): None,
    ("PUT", "/api/v1/account/encryption"): {"enabled": True},
    ("POST", "/api/v1/invitations"): {"email": "invited@example.test"},
    ("DELETE", "/api/v1/invitations/{invitation_id}"): None,
    ("PATCH", "/api/v1/members/{user_id}"): {"role": "viewer"},
    ("DELETE", "/api/v1/members/{user_id}"): None,
    ("POST", "/api/v1/support-grants"): {"reason": "ticket 1"},
    ("DELETE", "/api/v1/support-grants/{grant_id}"): None,
    ("PUT", "/api/v1/redaction"): {"email": True},
    ("DELETE", "/api/v1/redaction"): None,
    ("DELETE", "/api/v1/templates/{name}"): None,
    ("DELETE", "/api/v1/templates/{name}/versions/{version}"): None,
    ("DELETE", "/api/v1/tests/runs/{run_id}"): None,
    ("DELETE", "/api/v1/tests/{test_name}"): None,
    ("PUT", "/api/v1/providers/{name}"): {"base_url": "https://llm.example.test"},
    ("DELETE", "/api/v1/providers/{name}"): None,
    ("PUT", "/api/v1/account/profile"): {"name": "taken over"},
    ("PUT", "/api/v1/account/billing-profile"): {},
    ("PUT", "/api/v1/account/usage-stats"): {"opt_out": True},
    ("DELETE", "/api/v1/activities/{activity_id}"): None,  # a limited caller deletes whole sessions only
}
# what a project-limited caller does inside its own project (its data, or a person's own settings)
IN_PROJECT_ROUTES = {
    ("POST", "/api/v1/keys"),  # keys limited to its project
    ("DELETE", "/api/v1/keys/{key_id}"),
    ("POST", "/api/v1/ingest"),
    ("DELETE", "/api/v1/sessions/{session_id}"),
    ("POST", "/api/v1/auth/logout"),
    ("DELETE", "/api/v1/me"),  # the person's own erasure (tests/integration/test_p18_user_erasure.py)
    ("POST", "/sessions/start"),
    ("POST", "/sessions/finish"),
    ("POST", "/sessions/{session_id}/activities"),
    ("POST", "/sessions/{session_id}/restore"),
    ("POST", "/v1/traces"),
    ("POST", "/prompt-cache/{namespace}/get"),
    ("POST", "/prompt-cache/{namespace}"),
    ("POST", "/prompt-cache/{namespace}/clear"),
    ("POST", "/tests/{test_name}/runs"),
    ("POST", "/tests/{test_name}/runs/{run_id}/result-details"),
    ("DELETE", "/api/v1/projects/{name}"),
    ("POST", "/api/v1/deletions/time-range"),
    ("POST", "/api/v1/import/jsonl"),
    ("POST", "/api/v1/share-links"),
    ("DELETE", "/api/v1/share-links/{link_id}"),
    ("POST", "/api/v1/templates/{name}/versions"),
    ("PUT", "/api/v1/templates/{name}/labels/{label}"),
    ("POST", "/api/v1/templates/{name}/labels/{label}/rollback"),
    ("PUT", "/api/v1/activities/{activity_id}/annotation"),
    ("PUT", "/api/v1/sessions/{session_id}/annotation"),
    ("POST", "/api/v1/cache/{namespace}/entries"),
    ("POST", "/api/v1/cache/{namespace}/lookup"),
    ("DELETE", "/api/v1/cache/{namespace}"),
    ("POST", "/api/v1/activities/{activity_id}/replay"),
    ("POST", "/api/v1/datasets"),
    ("PATCH", "/api/v1/datasets/{name}"),
    ("DELETE", "/api/v1/datasets/{name}"),
    ("POST", "/api/v1/datasets/{name}/items"),
    ("POST", "/api/v1/datasets/{name}/items/from-activity"),
    ("PATCH", "/api/v1/datasets/{name}/items/{item_id}"),
    ("DELETE", "/api/v1/datasets/{name}/items/{item_id}"),
    ("PUT", "/api/v1/me/contact-preferences"),
    ("DELETE", "/api/v1/me"),
    ("POST", "/api/v1/referrals/codes"),
    ("POST", "/api/v1/usage-stats/features"),
    ("POST", "/api/v1/policies/{document_id}/acknowledge"),
}
RANGE = {"since": "2020-01-01T00:00:00+00:00", "until": "2020-02-01T00:00:00+00:00"}
IN_RANGE = "2020-01-15T00:00:00+00:00"


@pytest.fixture
def shop_admin(live_server):
    """A tenant with sessions in projects shop and blog, an account-wide admin key and one limited to shop."""
    tenant = live_server.new_tenant("limited-admin")
    keys = live_server.accounts()._rt.keys
    admin = keys.create(tenant.account_id, "admin")
    sessions = {(project, when): uid("s-") for project in ("shop", "blog") for when in ("old", "new")}
    with live_server.client(admin) as owner:
        answer = owner.post(
            "/api/v1/ingest",
            json={
                "sessions": [
                    session(sid, tracking_project=project, **({"start_time": IN_RANGE} if when == "old" else {}))
                    for (project, when), sid in sessions.items()
                ]
            },
        )
        assert answer.json()["stored"] == 4, answer.text
    return admin, sessions, keys.create(tenant.account_id, "admin", name="adm2", project="shop")


def project_hash(live_server, name: str) -> str:
    """How receipts name a project: the deletion ledger's hash of its name."""
    return live_server.accounts()._rt.ledger.hash(name)


def key_states(client) -> list[tuple]:
    return [(k["key_id"], k["scope"], k["revoked_at"]) for k in client.get("/api/v1/keys").json()["items"]]


def test_p11_route_tables_sort_every_mutating_route(tmp_path):
    routes = {r for r in app_routes(tmp_path) - PUBLIC - set(STAFF_ROUTES) if r[0] in MUTATING}
    unsorted = routes - set(ACCOUNT_WIDE_ROUTES) - IN_PROJECT_ROUTES
    assert not unsorted, f"say whether a project-limited caller may use these: {sorted(unsorted)}"
    assert not set(ACCOUNT_WIDE_ROUTES) & IN_PROJECT_ROUTES


def test_p11_a_project_limited_admin_is_refused_every_account_wide_route(live_server, shop_admin):
    admin, _, limited = shop_admin
    with live_server.client(admin) as owner:
        owner_key_id = owner.get("/api/v1/me").json()["key_id"]
        keys_before = key_states(owner)
    ids = dict(key_id=owner_key_id, override_id=1, invitation_id=1, user_id=1, grant_id=1, tenant="alice")
    with live_server.client(limited) as client:
        answers = {
            (method, path): client.request(method, fill(path, **ids), json=body).status_code
            for (method, path), body in ACCOUNT_WIDE_ROUTES.items()
        }
        assert {route: status for route, status in answers.items() if status != 403} == {}
        assert client.delete(f"/api/v1/keys/{owner_key_id}").status_code == 404  # not among its project's keys
    with live_server.client(admin) as owner:  # nothing changed: the account-wide key still works
        assert key_states(owner) == keys_before
        assert owner.get("/api/v1/retention").json()["items"] == []
        assert owner.get("/api/v1/account/encryption").json() == {"enabled": False}


def test_p11_a_project_limited_admin_sets_the_retention_of_its_own_project_only(live_server, shop_admin):
    admin, _, limited = shop_admin
    with live_server.client(limited) as client:
        for project in (None, "blog"):
            refused = client.put("/api/v1/retention", json={"project": project, "content_days": 1})
            assert refused.status_code == 403, refused.text
        assert client.put("/api/v1/retention", json={"project": "shop", "content_days": 30}).status_code == 200
    with live_server.client(admin) as owner:
        assert [(p["project"], p["content_days"]) for p in owner.get("/api/v1/retention").json()["items"]] == [
            ("shop", 30)
        ]


def test_p11_a_project_limited_admin_reads_its_own_project_s_retention_and_receipts_only(live_server, shop_admin):
    admin, _, limited = shop_admin
    with live_server.client(admin) as owner:
        for project in (None, "shop", "blog"):
            assert owner.put("/api/v1/retention", json={"project": project, "content_days": 40}).status_code == 200
        blog = owner.post("/api/v1/deletions/time-range", json={**RANGE, "project": "blog"}).json()
        account = owner.get("/api/v1/me").json()["account"]["id"]
    with live_server.accounts()._rt.engine.begin() as conn:  # a policy a project's deletion once left behind
        lifecycle_store.set_policy(conn, account, 10**9, 1, None, datetime.now(timezone.utc))
    with live_server.client(limited) as client:
        assert {p["project"] for p in client.get("/api/v1/retention").json()["items"]} == {None, "shop"}
        shop = client.post("/api/v1/deletions/time-range", json=RANGE).json()
        assert [r["id"] for r in client.get("/api/v1/deletions").json()["items"]] == [shop["id"]]
        assert client.get(f"/api/v1/deletions/{shop['id']}").json()["counts"]["sessions"] == 1
        assert client.get(f"/api/v1/deletions/{blog['id']}").status_code == 404
    with live_server.client(admin) as owner:
        assert {r["id"] for r in owner.get("/api/v1/deletions").json()["items"]} == {blog["id"], shop["id"]}
        assert len(owner.get("/api/v1/retention").json()["items"]) == 3


def test_p18_a_project_limited_time_range_deletion_keeps_to_its_project(live_server, shop_admin):
    admin, sessions, limited = shop_admin
    with live_server.client(limited) as client:
        assert client.post("/api/v1/deletions/time-range", json={**RANGE, "project": "blog"}).status_code == 403
        receipt = client.post("/api/v1/deletions/time-range", json=RANGE).json()
        assert receipt["counts"]["sessions"] == 1
        assert receipt["target"].endswith(" " + project_hash(live_server, "shop"))
    with live_server.client(admin) as owner:
        left = {key for key, sid in sessions.items() if owner.get(f"/api/v1/sessions/{sid}").status_code == 200}
        assert left == {("shop", "new"), ("blog", "old"), ("blog", "new")}


def test_p18_an_account_wide_time_range_deletion_of_a_project_keeps_to_that_project(live_server, shop_admin):
    admin, sessions, _ = shop_admin
    with live_server.client(admin) as owner:
        receipt = owner.post("/api/v1/deletions/time-range", json={**RANGE, "project": "blog"}).json()
        assert receipt["counts"]["sessions"] == 1
        assert receipt["target"].endswith(" " + project_hash(live_server, "blog"))
        left = {key for key, sid in sessions.items() if owner.get(f"/api/v1/sessions/{sid}").status_code == 200}
        assert left == {("shop", "old"), ("shop", "new"), ("blog", "new")}
        until = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
        unnamed = owner.post("/api/v1/deletions/time-range", json={"until": until}).json()
        assert unnamed["counts"]["sessions"] == 3 and " " not in unnamed["target"]


def test_p11_a_project_limited_admin_manages_the_keys_of_its_own_project_only(live_server, shop_admin):
    admin, _, limited = shop_admin
    with live_server.client(admin) as owner:
        account_keys = {k["key_id"] for k in owner.get("/api/v1/keys").json()["items"]}
    with live_server.client(limited) as client:
        assert client.post("/api/v1/keys", json={"scope": "read", "project": "blog"}).status_code == 403
        assert client.post("/api/v1/keys", json={"scope": "read"}).status_code == 403  # an account-wide one
        made = client.post("/api/v1/keys", json={"scope": "read", "project": "shop"})
        assert made.status_code == 201, made.text
        listed = client.get("/api/v1/keys").json()["items"]
        assert {k["project"] for k in listed} == {"shop"}
        for key_id in account_keys - {k["key_id"] for k in listed}:
            assert client.delete(f"/api/v1/keys/{key_id}").status_code == 404
        assert client.delete(f"/api/v1/keys/{made.json()['key_id']}").status_code == 204
    with live_server.client(admin) as owner:
        states = {k["key_id"]: k["revoked_at"] for k in owner.get("/api/v1/keys").json()["items"]}
    assert all(states[key_id] is None for key_id in account_keys if key_id in states)
    assert states[made.json()["key_id"]] is not None


def test_p11_a_project_limited_admin_reads_no_billing_profile_or_invoice(live_server, shop_admin):
    """The account's billing details (address, tax id) and invoices are the account's, not a project's."""
    admin, _, limited = shop_admin
    with live_server.client(admin) as owner:
        assert owner.get("/api/v1/account/billing-profile").status_code == 200
    with live_server.client(limited) as client:
        for path in (
            "/api/v1/account/billing-profile",
            "/api/v1/invoices",
            "/api/v1/invoices/1",
            "/api/v1/invoices/1/pdf",
        ):
            assert client.get(path).status_code == 403, path
