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
    ("GET", "/api/v1/activities/{activity_id}"),
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
    ("GET", "/api/v1/activities"),
    ("GET", "/api/v1/session-facets"),
    ("POST", "/api/v1/ingest"),
    ("GET", "/api/v1/metrics/usage"),
    ("GET", "/api/v1/me"),
    ("DELETE", "/api/v1/me"),
    ("GET", "/api/v1/keys"),
    ("POST", "/api/v1/keys"),
    ("GET", "/api/v1/members"),
    ("GET", "/api/v1/projects"),
    ("GET", "/api/v1/prices/overrides"),
    ("POST", "/api/v1/prices/overrides"),
    ("GET", "/api/v1/prices/quote"),
    ("GET", "/api/v1/prices/unpriced"),
    ("POST", "/api/v1/prices/unpriced/price"),
    ("POST", "/v1/traces"),
    ("POST", "/api/v1/deletions/time-range"),
    ("DELETE", "/api/v1/account"),
    ("GET", "/api/v1/deletions"),
    ("GET", "/api/v1/retention"),
    ("PUT", "/api/v1/retention"),
    ("GET", "/api/v1/export"),
    ("POST", "/api/v1/import"),
    ("POST", "/api/v1/import/jsonl"),
    ("GET", "/api/v1/account/encryption"),
    ("PUT", "/api/v1/account/encryption"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/sessions/start"),
    ("POST", "/sessions/finish"),
    ("POST", "/sessions/{session_id}/activities"),
    # access and trust
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


# lifecycle routes: objects named by id or name answer another account 404; a tenant label, the
# account's settings, export and import only ever reach the caller's own account
OBJECT_ROUTES += [
    ("DELETE", "/api/v1/activities/{activity_id}"),
    ("DELETE", "/api/v1/projects/{name}"),
    ("GET", "/api/v1/deletions/{receipt_id}"),
]
OWN_DATA_ROUTES += [("DELETE", "/api/v1/tenants/{tenant}")]


def fill(path: str, **values) -> str:
    """The path with every placeholder filled (unknown ones with "x")."""
    return path.format_map(defaultdict(lambda: "x", **values))


# the prompt-improvement loop: every id is per account, so these read and write only the caller's
# own data; tests/integration/test_prompt_loop_*.py prove another account's ids answer 404 or a miss
OWN_DATA_ROUTES += [
    ("POST", "/prompt-cache/{namespace}/get"),
    ("POST", "/prompt-cache/{namespace}"),
    ("POST", "/prompt-cache/{namespace}/clear"),
    ("GET", "/test-cases"),
    ("POST", "/tests/{test_name}/runs"),
    ("POST", "/tests/{test_name}/runs/{run_id}/result-details"),
    ("GET", "/api/v1/templates"),
    ("POST", "/api/v1/templates/{name}/versions"),
    ("GET", "/api/v1/templates/{name}"),
    ("GET", "/api/v1/templates/{name}/versions/{version}"),
    ("GET", "/api/v1/templates/{name}/versions/{version}/executions"),
    ("GET", "/api/v1/templates/{name}/labels/{label}"),
    ("PUT", "/api/v1/templates/{name}/labels/{label}"),
    ("POST", "/api/v1/templates/{name}/labels/{label}/rollback"),
    ("PUT", "/api/v1/activities/{activity_id}/annotation"),
    ("GET", "/api/v1/activities/{activity_id}/annotation"),
    ("PUT", "/api/v1/sessions/{session_id}/annotation"),
    ("GET", "/api/v1/sessions/{session_id}/annotation"),
    ("GET", "/api/v1/cache"),
    ("POST", "/api/v1/cache/{namespace}/entries"),
    ("POST", "/api/v1/cache/{namespace}/lookup"),
    ("DELETE", "/api/v1/cache/{namespace}"),
    ("GET", "/api/v1/tests/runs"),
    ("GET", "/api/v1/tests/runs/{run_id}"),
    ("GET", "/api/v1/tests/runs/{run_id}/compare/{other_run_id}"),
    ("GET", "/api/v1/providers"),
    ("PUT", "/api/v1/providers/{name}"),
    ("DELETE", "/api/v1/providers/{name}"),
    ("POST", "/api/v1/activities/{activity_id}/replay"),
    ("GET", "/api/v1/activities/{activity_id}/replays"),
    ("DELETE", "/api/v1/templates/{name}"),
    ("DELETE", "/api/v1/templates/{name}/versions/{version}"),
    ("DELETE", "/api/v1/tests/runs/{run_id}"),
    ("DELETE", "/api/v1/tests/{test_name}"),
]

# datasets: named per account; tests/integration/test_datasets.py proves another account's names and item ids
# answer 404 on every one of these routes
OWN_DATA_ROUTES += [("GET", "/api/v1/datasets"), ("POST", "/api/v1/datasets")]
OBJECT_ROUTES += [
    ("GET", "/api/v1/datasets/{name}"),
    ("PATCH", "/api/v1/datasets/{name}"),
    ("DELETE", "/api/v1/datasets/{name}"),
    ("GET", "/api/v1/datasets/{name}/items"),
    ("GET", "/api/v1/datasets/{name}/export"),
    ("POST", "/api/v1/datasets/{name}/items"),
    ("POST", "/api/v1/datasets/{name}/items/from-activity"),
    ("GET", "/api/v1/datasets/{name}/items/{item_id}"),
    ("PATCH", "/api/v1/datasets/{name}/items/{item_id}"),
    ("DELETE", "/api/v1/datasets/{name}/items/{item_id}"),
]

# customers: public forms, the one-click unsubscribe link, policy texts and the page-view counter
PUBLIC |= {
    ("GET", "/api/v1/waitlist"),
    ("POST", "/api/v1/waitlist"),
    ("POST", "/api/v1/signup"),
    ("POST", "/api/v1/signup/verify"),
    ("POST", "/api/v1/auth/password-reset"),
    ("POST", "/api/v1/auth/password-reset/confirm"),
    ("GET", "/api/v1/unsubscribe"),
    ("POST", "/api/v1/unsubscribe"),
    ("POST", "/api/v1/page-views"),
    ("GET", "/api/v1/policies"),
    ("GET", "/api/v1/policies/{kind}"),
    ("GET", "/api/v1/policies/{kind}/versions/{version}"),
}
# invoices are looked up within the caller's account: tests/integration/test_customers_billing.py proves
# another account's invoice number answers 404
OWN_DATA_ROUTES += [
    ("GET", "/api/v1/me/contact-preferences"),
    ("PUT", "/api/v1/me/contact-preferences"),
    ("POST", "/api/v1/referrals/codes"),
    ("GET", "/api/v1/referrals"),
    ("GET", "/api/v1/account/profile"),
    ("PUT", "/api/v1/account/profile"),
    ("GET", "/api/v1/account/billing-profile"),
    ("PUT", "/api/v1/account/billing-profile"),
    ("GET", "/api/v1/plans"),
    ("GET", "/api/v1/account/plan"),
    ("GET", "/api/v1/account/usage"),
    ("GET", "/api/v1/invoices"),
    ("GET", "/api/v1/invoices/{invoice_number}"),
    ("GET", "/api/v1/invoices/{invoice_number}/pdf"),
    ("POST", "/api/v1/usage-stats/features"),
    ("GET", "/api/v1/account/usage-stats"),
    ("PUT", "/api/v1/account/usage-stats"),
    ("GET", "/api/v1/policies/notices"),
    ("POST", "/api/v1/policies/{document_id}/acknowledge"),
]
# the instance operator's routes (log-in token of the operator user; 403 for any account's credential,
# tests/integration/test_customers_policies.py::test_p20_only_the_operator_announces)
STAFF_ROUTES += [
    ("POST", "/api/v1/operator/invoices"),
    ("GET", "/api/v1/operator/invoices"),
    ("GET", "/api/v1/operator/invoices/{invoice_number}/pdf"),
    ("PUT", "/api/v1/operator/accounts/{account_id}/plan"),
    ("POST", "/api/v1/operator/policies"),
    ("GET", "/api/v1/operator/policies/{document_id}/acknowledgements"),
    ("GET", "/api/v1/operator/stats"),
    ("GET", "/api/v1/operator/leads"),
    ("GET", "/api/v1/operator/referrals"),
    ("POST", "/api/v1/operator/mail"),
    ("GET", "/api/v1/operator/outbox"),
]


def app_routes(tmp_path) -> set[tuple[str, str]]:
    """Every documented route of the app (the OpenAPI document names them all; pages like /docs and /ui
    are not API routes and serve no customer data)."""
    spec = create_app(Settings(data_dir=tmp_path)).openapi()
    routes = {(method.upper(), path) for path, methods in spec["paths"].items() for method in methods}
    assert len(routes) > 20, "the route table must see the included routers"
    return routes


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
    sid, aid, gone = uid("s-"), uid("a-"), uid("s-")
    with live_server.client(owner.api_key) as mine:
        mine.post(
            "/api/v1/ingest",
            json={
                "sessions": [session(sid, tracking_project="secret"), session(gone)],
                "activities": [llm(aid, sid, prompt="owner's secret prompt")],
            },
        )
        key_id = mine.get("/api/v1/me").json()["key_id"]
        receipt_id = mine.delete(f"/api/v1/sessions/{gone}").headers["location"].rsplit("/", 1)[1]
    admin_key = live_server.accounts()._rt.keys.create(owner.account_id, "admin")
    with live_server.client(admin_key) as admin:
        override = {"model": "my-finetune", "input_per_mtok": 1, "output_per_mtok": 2}
        override_id = admin.post("/api/v1/prices/overrides", json=override).json()["id"]
    ids = dict(
        session_id=sid,
        activity_id=aid,
        name="secret",
        receipt_id=receipt_id,
        key_id=key_id,
        override_id=override_id,
        **_people_objects(live_server, owner, sid),
    )
    intruder_admin = live_server.accounts()._rt.keys.create(intruder.account_id, "admin")
    with live_server.client(intruder_admin) as theirs:
        for method, path in OBJECT_ROUTES:
            body = {"role": "viewer"} if method == "PATCH" else None
            response = theirs.request(method, fill(path, **ids), json=body)
            if path.endswith("/restore"):
                assert response.json() == {"session": None}
            else:
                assert response.status_code in (403, 404), (method, path, response.status_code)
        paged = {"activities_limit": 1, "activities_fields": "outline"}  # the detail a page at a time, too
        assert theirs.get(f"/api/v1/sessions/{sid}", params=paged).status_code == 404
        assert sid not in [s["id"] for s in theirs.get("/api/v1/sessions").json()["items"]]
        assert aid not in [a["id"] for a in theirs.get("/api/v1/activities").json()["items"]]
        assert theirs.get("/api/v1/sessions", params={"q": "secret"}).json()["items"] == []
        assert theirs.get("/api/v1/metrics/usage").json()["totals"]["calls"] == 0
        assert theirs.get("/api/v1/projects").json()["items"] == []
        # writing to the same session id creates the intruder's own session, never touches the owner's
        theirs.post(f"/sessions/{sid}/activities", json=[llm(uid("a-"), sid, prompt="intruder")])
    with live_server.client(owner.api_key) as mine:
        stored = mine.get(f"/api/v1/sessions/{sid}").json()
        assert [a["prompt"] for a in stored["activities"]] == ["owner's secret prompt"]
        assert stored["tracking_project"] == "secret"  # the project survived the intruder's deletion
        assert mine.get(f"/api/v1/deletions/{receipt_id}").status_code == 200
        assert mine.get("/api/v1/me").status_code == 200  # the owner's key survived the revocation attempt
        links = {link["id"]: link for link in mine.get("/api/v1/share-links").json()["items"]}
        assert links[ids["link_id"]]["live"]  # nor could the intruder revoke the owner's share link
    with live_server.client(ids["token"]) as person:
        assert [g["live"] for g in person.get("/api/v1/support-grants").json()["items"]] == [True]
        assert [m["role"] for m in person.get("/api/v1/members").json()["items"]] == ["owner"]


def _people_objects(live_server, owner, sid: str) -> dict:
    """An invitation, a support grant and a share link of the owner's account, made by its owner in person."""
    with live_server.client() as anonymous:
        login = {"email": owner.owner_email, "password": owner.owner_password}
        token = anonymous.post("/api/v1/auth/login", json=login).json()["token"]
    with live_server.client(token) as person:
        invited = person.post("/api/v1/invitations", json={"email": f"{uid('i-')}@example.test"})
        grant = person.post("/api/v1/support-grants", json={"reason": "ticket 1"})
        link = person.post("/api/v1/share-links", json={"object_id": sid})
        user_id = person.get("/api/v1/me").json()["user"]["id"]
    return dict(
        token=token,
        invitation_id=invited.json()["id"],
        grant_id=grant.json()["id"],
        link_id=link.json()["id"],
        user_id=user_id,
    )


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


def test_p11_a_write_key_sends_data_by_every_entry_point_and_reads_or_changes_nothing(live_server):
    """The key to put in an app: it ingests (native, OTLP, the published client's endpoints), registers
    templates and gives feedback, and is refused everything that reads, deletes or shares."""
    tenant = live_server.new_tenant("write-only")
    key = live_server.accounts()._rt.keys.create(tenant.account_id, "write")
    sid, aid, legacy = uid("s-"), uid("a-"), uid("s-")
    with live_server.client(key) as app:
        answer = app.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": [llm(aid, sid)]})
        assert answer.status_code == 200 and answer.json()["stored"] == 2, answer.text
        assert app.post("/sessions/start", json={"id": legacy}).status_code == 200
        assert app.post(f"/sessions/{legacy}/activities", json=[llm(uid("a-"), legacy)]).status_code == 200
        span = {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "step", "startTimeUnixNano": "1"}
        otlp = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [span]}]}]}
        assert app.post("/v1/traces", json=otlp).status_code == 200
        template = {"template": "Answer {question}", "version": "1.0"}
        assert app.post("/api/v1/templates/qa/versions", json=template).status_code in (200, 201)
        assert app.put(f"/api/v1/activities/{aid}/annotation", json={"label": 1}).status_code == 200
        refused = [
            app.get("/api/v1/sessions"),
            app.get(f"/api/v1/sessions/{sid}"),
            app.get(f"/api/v1/activities/{aid}"),
            app.get("/api/v1/metrics/usage"),
            app.get("/api/v1/templates"),
            app.get(f"/api/v1/activities/{aid}/annotation"),
            app.delete(f"/api/v1/sessions/{sid}"),
            app.post("/api/v1/share-links", json={"kind": "session", "object_id": sid}),
            app.get("/api/v1/export"),
        ]
        assert [r.status_code for r in refused] == [403] * len(refused), [(r.url.path, r.text) for r in refused]
    with live_server.client(tenant.api_key) as owner:
        assert {item["id"] for item in owner.get("/api/v1/sessions").json()["items"]} >= {sid, legacy, "ab" * 16}


def test_p11_a_project_limited_key_cannot_take_over_write_into_or_delete_another_projects_session(live_server):
    tenant = live_server.new_tenant("takeover")
    limited = live_server.accounts()._rt.keys.create(tenant.account_id, "ingest", project="alpha")
    beta_sid, beta_aid, loose_sid, fresh_sid = uid("s-"), uid("a-"), uid("s-"), uid("s-")
    with live_server.client(tenant.api_key) as full:
        full.post(
            "/api/v1/ingest",
            json={"sessions": [session(beta_sid, tracking_project="beta")], "activities": [llm(beta_aid, beta_sid)]},
        )
        full.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), loose_sid)]})  # a session of no project
    with live_server.client(limited) as client:
        answer = client.post(
            "/api/v1/ingest",
            json={
                "sessions": [session(beta_sid)],  # the key's project is assumed: a takeover
                "activities": [
                    llm(uid("a-"), beta_sid),
                    llm(uid("a-"), loose_sid),
                    llm(beta_aid, fresh_sid, generated="overwritten"),  # another project's activity id
                    llm(uid("a-"), fresh_sid),
                ],
            },
        ).json()
        refusals = [(item["status"], item["errors"] and item["errors"][0]["type"]) for item in answer["activities"]]
        assert answer["sessions"][0]["status"] == "invalid"
        assert answer["sessions"][0]["errors"][0]["type"] == "other_project"
        assert refusals == [
            ("invalid", "other_project"),
            ("invalid", "other_project"),
            ("invalid", "other_session"),
            ("stored", None),
        ]
        assert client.get(f"/api/v1/sessions/{beta_sid}").status_code == 404
        assert client.delete(f"/api/v1/sessions/{beta_sid}").status_code == 404
        assert client.get(f"/api/v1/sessions/{fresh_sid}").json()["tracking_project"] == "alpha"
        assert client.get("/api/v1/sessions", params={"project": "beta"}).json()["items"] == []
        assert [s["id"] for s in client.get("/api/v1/sessions", params={"project": "alpha"}).json()["items"]] == [
            fresh_sid
        ]
    with live_server.client(tenant.api_key) as full:
        stored = full.get(f"/api/v1/sessions/{beta_sid}").json()
        assert stored["tracking_project"] == "beta"
        assert [(a["id"], a["generated"]) for a in stored["activities"]] == [(beta_aid, "It is sunny.")]
        assert full.get(f"/api/v1/sessions/{loose_sid}").json()["activity_count"] == 1


def test_project_limited_key_sees_and_writes_only_its_project(live_server):
    tenant = live_server.new_tenant("limited")
    keys = live_server.accounts()._rt.keys
    limited = keys.create(tenant.account_id, "ingest", project="alpha")
    other_sid = uid("s-")
    with live_server.client(tenant.api_key) as full:
        full.post("/api/v1/ingest", json={"sessions": [session(other_sid, tracking_project="beta")]})
    with live_server.client(limited) as client:
        answer = client.post("/api/v1/ingest", json={"sessions": [session(uid("s-"), tracking_project="beta")]})
        refused = answer.json()["sessions"][0]
        assert refused["status"] == "invalid"
        assert [(e["field"], e["type"]) for e in refused["errors"]] == [("tracking_project", "other_project")]
        sid = uid("s-")
        client.post("/api/v1/ingest", json={"sessions": [session(sid)]})
        assert [s["id"] for s in client.get("/api/v1/sessions").json()["items"]] == [sid]
        assert client.get(f"/api/v1/sessions/{other_sid}").status_code == 404
        assert client.get(f"/api/v1/sessions/{sid}").json()["tracking_project"] == "alpha"
