"""One account can never read, change or delete another's data; every route needs credentials unless it
is listed as public. The route table below must name every route the app has (a test checks it)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from promptwatch.server.app import create_app
from promptwatch.server.settings import Settings
from tests.support.payloads import llm, session, uid

PUBLIC = {
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/ready"),
    ("GET", "/metrics"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/temp-keys"),
    ("GET", "/openapi.json"),
    ("GET", "/"),
    ("GET", "/ui"),
    ("GET", "/ui/{path:path}"),
    ("POST", "/api/v1/invitations/accept"),  # the invitation token is the credential
    ("GET", "/api/v1/shared/{token}"),  # the share link's token is the credential (P1)
}
# routes that name an object of the account: (method, path template)
OBJECT_ROUTES = [
    ("GET", "/api/v1/sessions/{session_id}"),
    ("DELETE", "/api/v1/sessions/{session_id}"),
    ("GET", "/sessions/{session_id}"),
    ("POST", "/sessions/{session_id}/restore"),
    ("DELETE", "/api/v1/keys/{key_id}"),
    ("DELETE", "/api/v1/prices/overrides/{override_id}"),
    ("POST", "/api/v1/keys/{key_id}/rotate"),
    ("DELETE", "/api/v1/invitations/{invitation_id}"),
    ("PATCH", "/api/v1/members/{user_id}"),
    ("DELETE", "/api/v1/members/{user_id}"),
    ("DELETE", "/api/v1/support-grants/{grant_id}"),
    ("DELETE", "/api/v1/share-links/{link_id}"),
]
# routes that list or write the caller's own data only
OWN_DATA_ROUTES = [
    ("GET", "/api/v1/sessions"),
    ("POST", "/api/v1/ingest"),
    ("GET", "/api/v1/metrics/usage"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/keys"),
    ("POST", "/api/v1/keys"),
    ("GET", "/api/v1/members"),
    ("GET", "/api/v1/projects"),
    ("GET", "/api/v1/prices/overrides"),
    ("POST", "/api/v1/prices/overrides"),
    ("GET", "/api/v1/prices/quote"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/sessions/start"),
    ("POST", "/sessions/finish"),
    ("POST", "/sessions/{session_id}/activities"),
    # access and trust (issue 6)
    ("GET", "/api/v1/invitations"),
    ("POST", "/api/v1/invitations"),
    ("GET", "/api/v1/support-grants"),
    ("POST", "/api/v1/support-grants"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/audit/export"),
    ("GET", "/api/v1/share-links"),
    ("POST", "/api/v1/share-links"),
    ("GET", "/api/v1/redaction"),
    ("PUT", "/api/v1/redaction"),
    ("DELETE", "/api/v1/redaction"),
]
# routes of the operator's staff: 403 for every customer credential (tests/integration/test_p16_roles.py)
STAFF_ROUTES = [
    ("GET", "/api/v1/admin/health"),
    ("GET", "/api/v1/admin/accounts"),
    ("GET", "/api/v1/admin/usage"),
    ("GET", "/api/v1/admin/traffic"),
    ("GET", "/api/v1/support/grants"),
    ("GET", "/api/v1/support/accounts/{account_id}/sessions"),
    ("GET", "/api/v1/support/accounts/{account_id}/sessions/{session_id}"),
]


def _walk(routes, prefix: str = ""):
    """Routes with their full path; FastAPI may keep an included router as one entry of `app.routes`."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _walk(route.original_router.routes, prefix + route.include_context.prefix)
        else:
            yield prefix + getattr(route, "path", ""), getattr(route, "methods", ()) or ()


def app_routes(tmp_path) -> set[tuple[str, str]]:
    app = create_app(Settings(data_dir=tmp_path))
    routes = {(method, path) for path, methods in _walk(app.routes) for method in methods if method != "HEAD"}
    assert len(routes) > 20, "the route walk found too few routes: it is not seeing included routers"
    return {(m, p) for m, p in routes if p not in ("/docs", "/docs/oauth2-redirect", "/redoc")}


def fill(path: str, **values) -> str:
    """The path with every placeholder filled (unknown ones with "x")."""
    return path.format_map(defaultdict(lambda: "x", **values))


def test_route_table_names_every_route(tmp_path):
    known = PUBLIC | set(OBJECT_ROUTES) | set(OWN_DATA_ROUTES) | set(STAFF_ROUTES)
    missing = app_routes(tmp_path) - known
    assert not missing, f"add these routes to the isolation tables: {sorted(missing)}"


def test_every_private_route_needs_credentials(live_server, tmp_path):
    with live_server.client() as anonymous:
        for method, path in sorted(app_routes(tmp_path) - PUBLIC):
            response = anonymous.request(
                method, fill(path, override_id=1, invitation_id=1, user_id=1, grant_id=1, link_id=1, account_id=1)
            )
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.headers["content-type"].startswith("application/problem+json")


def test_p16_other_account_gets_404_on_every_object_route(live_server):
    owner, intruder = live_server.new_tenant("owner"), live_server.new_tenant("intruder")
    sid = uid("s-")
    with live_server.client(owner.api_key) as mine:
        mine.post(
            "/api/v1/ingest",
            json={
                "sessions": [session(sid, tracking_project="secret")],
                "activities": [llm(uid("a-"), sid, prompt="owner's secret prompt")],
            },
        )
        key_id = mine.get("/api/v1/me").json()["key_id"]
    admin_key = live_server.accounts()._rt.keys.create(owner.account_id, "admin")
    with live_server.client(admin_key) as admin:
        override = {"model": "my-finetune", "input_per_mtok": 1, "output_per_mtok": 2}
        override_id = admin.post("/api/v1/prices/overrides", json=override).json()["id"]
    with live_server.client(intruder.api_key) as theirs:
        for method, path in OBJECT_ROUTES:
            response = theirs.request(method, path.format(session_id=sid, key_id=key_id, override_id=override_id))
            if path.endswith("/restore"):
                assert response.json() == {"session": None}
            else:
                assert response.status_code in (403, 404), (method, path, response.status_code)
        assert sid not in [s["id"] for s in theirs.get("/api/v1/sessions").json()["items"]]
        assert theirs.get("/api/v1/sessions", params={"q": "secret"}).json()["items"] == []
        assert theirs.get("/api/v1/metrics/usage").json()["totals"]["calls"] == 0
        assert theirs.get("/api/v1/projects").json()["items"] == []
        # writing to the same session id creates the intruder's own session, never touches the owner's
        theirs.post(f"/sessions/{sid}/activities", json=[llm(uid("a-"), sid, prompt="intruder")])
    with live_server.client(owner.api_key) as mine:
        stored = mine.get(f"/api/v1/sessions/{sid}").json()
        assert [a["prompt"] for a in stored["activities"]] == ["owner's secret prompt"]
        assert mine.get("/api/v1/me").status_code == 200  # the owner's key survived the revocation attempt


@pytest.mark.parametrize(
    "scope, can_ingest, can_admin", [("read", False, False), ("ingest", True, False), ("admin", True, True)]
)
def test_p11_key_scopes_limit_what_a_key_may_do(live_server, scope, can_ingest, can_admin):
    tenant = live_server.new_tenant("scopes")
    key = live_server.accounts()._rt.keys.create(tenant.account_id, scope)
    with live_server.client(key) as client:
        sid = uid("s-")
        written = client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), sid)]})
        assert (written.status_code == 200) is can_ingest
        assert client.get("/api/v1/sessions").status_code == 200
        assert (client.get("/api/v1/keys").status_code == 200) is can_admin


def test_project_limited_key_sees_and_writes_only_its_project(live_server):
    tenant = live_server.new_tenant("limited")
    keys = live_server.accounts()._rt.keys
    limited = keys.create(tenant.account_id, "ingest", project="alpha")
    other_sid = uid("s-")
    with live_server.client(tenant.api_key) as full:
        full.post("/api/v1/ingest", json={"sessions": [session(other_sid, tracking_project="beta")]})
    with live_server.client(limited) as client:
        answer = client.post("/api/v1/ingest", json={"sessions": [session(uid("s-"), tracking_project="beta")]})
        assert answer.json()["sessions"][0]["status"] == "invalid"
        sid = uid("s-")
        client.post("/api/v1/ingest", json={"sessions": [session(sid)]})
        assert [s["id"] for s in client.get("/api/v1/sessions").json()["items"]] == [sid]
        assert client.get(f"/api/v1/sessions/{other_sid}").status_code == 404
        assert client.get(f"/api/v1/sessions/{sid}").json()["tracking_project"] == "alpha"
