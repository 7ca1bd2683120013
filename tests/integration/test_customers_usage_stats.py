"""Anonymous usage statistics (P4) and the cookieless page-view counter (P5). Identifiers are planted in the
traffic that feeds the counters; every stored counter row is then inspected and none may hold one."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import inspect, select

from promptwatch.server.app import create_app
from promptwatch.server.services.usage_stats import UI_FEATURES
from promptwatch.server.settings import Settings
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.tables.usage_stats import feature_counters, page_views
from tests.integration.test_access_isolation import app_routes
from tests.support.databases import fresh_database
from tests.support.mailbox import login, new_tenant, operator_token, server_with_mail
from tests.support.payloads import llm, session, uid
from tests.support.server import provision


@pytest.fixture(scope="module")
def counted(backend, tmp_path_factory):
    with server_with_mail(backend, tmp_path_factory.mktemp(f"stats-{backend}")) as (server, _):
        yield server


def stored_rows(server) -> dict[str, list[dict]]:
    time.sleep(0.8)  # the counters are flushed every 0.2 s in these tests
    engine = make_engine(server.database_url)
    try:
        with engine.connect() as conn:
            columns = {t: {c["name"] for c in inspect(conn).get_columns(t)} for t in ("feature_counters", "page_views")}
            assert columns == {"feature_counters": {"day", "feature", "count"}, "page_views": {"day", "route", "count"}}
            return {
                "features": [dict(r) for r in conn.execute(select(feature_counters)).mappings()],
                "pages": [dict(r) for r in conn.execute(select(page_views)).mappings()],
            }
    finally:
        engine.dispose()


def count_of(server, feature: str) -> int:
    return sum(r["count"] for r in stored_rows(server)["features"] if r["feature"] == feature)


def test_p4_planted_identifiers_never_reach_a_stored_counter(counted, tmp_path):
    server = counted
    tenant = new_tenant(server, "canary")
    token = login(server, tenant.owner_email, tenant.owner_password)
    user_id = server.client(token).get("/api/v1/me").json()["user"]["id"]
    canaries = {
        "session": uid("canary-session-"),
        "prompt": uid("canary-prompt-"),
        "agent": uid("canary-agent-"),
        "ip": "203.0.113.77",
        "email": tenant.owner_email,
        "query": uid("canary-query-"),
    }
    headers = {
        "User-Agent": canaries["agent"],
        "X-Forwarded-For": canaries["ip"],
        "X-Real-IP": canaries["ip"],
        "X-PromptWatch-Account": str(tenant.account_id),
    }
    sid = canaries["session"]
    with server.client(tenant.api_key) as app_client:
        app_client.headers.update(headers)
        batch = {"sessions": [session(sid)], "activities": [llm(uid("a-"), sid, prompt=canaries["prompt"])]}
        assert app_client.post("/api/v1/ingest", json=batch).status_code == 200
        assert app_client.get(f"/api/v1/sessions/{sid}").status_code == 200
        assert app_client.get("/api/v1/sessions", params={"q": canaries["query"]}).status_code == 200
    with server.client(token) as ui:
        ui.headers.update(headers)
        assert ui.get("/api/v1/me").status_code == 200
        assert ui.post("/api/v1/usage-stats/features", json={"feature": "ui.session.view"}).status_code == 204
        assert ui.post("/api/v1/usage-stats/features", json={"feature": canaries["prompt"]}).status_code == 422
        for path in (f"/ui/sessions/{sid}?q={canaries['query']}", f"/ui/{canaries['email']}/{user_id}", "/ui/usage"):
            assert ui.post("/api/v1/page-views", json={"path": path}).status_code == 204
    rows = stored_rows(server)
    assert rows["features"] and rows["pages"]
    templates = {f"{method} {path}" for method, path in app_routes(tmp_path)}
    for row in rows["features"]:
        assert row["feature"] in templates or row["feature"] in UI_FEATURES, row
    for row in rows["pages"]:
        assert row["route"].startswith("/ui") and all(
            part in ("ui", "{id}", "{other}") or part.isalpha() for part in row["route"].split("/") if part
        ), row
    everything = repr(rows)
    for name, value in canaries.items():
        assert value not in everything, f"the {name} canary reached a counter"
    for row in rows["features"] + rows["pages"]:
        name = row.get("feature") or row["route"]
        assert str(user_id) not in name.split("/") and str(tenant.account_id) not in name.split("/")
    assert {"day": rows["pages"][0]["day"], "route": "/ui/sessions/{id}"}.items() <= next(
        r for r in rows["pages"] if r["route"] == "/ui/sessions/{id}"
    ).items()
    assert any(r["route"] == "/ui/{other}/{id}" for r in rows["pages"])
    assert any(r["feature"] == "GET /api/v1/sessions/{session_id}" for r in rows["features"])


def test_p4_an_owner_opts_the_account_out(counted):
    server = counted
    out, counted_in = new_tenant(server, "optout"), new_tenant(server, "optin")
    out_token = login(server, out.owner_email, out.owner_password)
    in_token = login(server, counted_in.owner_email, counted_in.owner_password)
    admin_key = server.accounts()._rt.keys.create(out.account_id, "admin")
    with server.client(admin_key) as admin:
        assert admin.put("/api/v1/account/usage-stats", json={"opt_out": True}).status_code == 403
    with server.client(out_token) as owner:
        setting = owner.put("/api/v1/account/usage-stats", json={"opt_out": True}).json()
        assert setting["account_opted_out"] is True and setting["instance_collects"] is True
    before = count_of(server, "ui.theme.toggle")
    with server.client(out_token) as owner:
        for _ in range(3):
            owner.post("/api/v1/usage-stats/features", json={"feature": "ui.theme.toggle"})
    assert count_of(server, "ui.theme.toggle") == before
    with server.client(in_token) as other:
        other.post("/api/v1/usage-stats/features", json={"feature": "ui.theme.toggle"})
    assert count_of(server, "ui.theme.toggle") == before + 1
    api_before = count_of(server, "GET /api/v1/account/plan")
    with server.client(out.api_key) as key:  # the account's API traffic is not counted either
        for _ in range(3):
            assert key.get("/api/v1/account/plan").status_code == 200
    assert count_of(server, "GET /api/v1/account/plan") == api_before


def page_count(server, route: str) -> int:
    return sum(r["count"] for r in stored_rows(server)["pages"] if r["route"] == route)


def test_p4_an_opted_out_account_s_page_views_are_not_counted(counted):
    server = counted
    out, counted_in = new_tenant(server, "pages-out"), new_tenant(server, "pages-in")
    out_token = login(server, out.owner_email, out.owner_password)
    with server.client(out_token) as owner:
        setting = owner.put("/api/v1/account/usage-stats", json={"opt_out": True}).json()
    assert setting["account_opted_out"] is True and "UI screens" in setting["what_is_counted"]
    before = page_count(server, "/ui/usage")
    for credential in (out_token, out.api_key):  # the UI sends its credential when signed in
        with server.client(credential) as owner:
            for _ in range(3):
                assert owner.post("/api/v1/page-views", json={"path": "/ui/usage"}).status_code == 204
    assert page_count(server, "/ui/usage") == before
    with server.client(login(server, counted_in.owner_email, counted_in.owner_password)) as other:
        assert other.post("/api/v1/page-views", json={"path": "/ui/usage/x"}).status_code == 204
        assert other.post("/api/v1/page-views", json={"path": "/ui/usage"}).status_code == 204
    assert page_count(server, "/ui/usage") == before + 1


def test_p5_a_view_without_credential_counts_as_the_page_a_signed_out_visitor_sees(counted):
    server = counted
    routes = ("/ui/usage", "/ui/login", "/ui/signup", "/ui/shared/{id}", "/ui/policies/{id}")
    before = {route: page_count(server, route) for route in routes}
    with server.client() as visitor:
        for path in ("/ui/usage", "/ui/sessions/s-1", "/ui/signup", "/ui/shared/pws_abc", "/ui/policies/privacy"):
            assert visitor.post("/api/v1/page-views", json={"path": path}).status_code == 204
        wrong = visitor.post("/api/v1/page-views", json={"path": "/ui/usage"}, headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 401 and wrong.headers["content-type"] == "application/problem+json"
    after = {route: page_count(server, route) for route in routes}
    assert after == before | {
        "/ui/login": before["/ui/login"] + 2,  # the sign-in page, shown at every path of a signed-in screen
        "/ui/signup": before["/ui/signup"] + 1,
        "/ui/shared/{id}": before["/ui/shared/{id}"] + 1,
        "/ui/policies/{id}": before["/ui/policies/{id}"] + 1,
    }


def test_p5_page_views_are_counted_by_route_template_without_cookies(counted):
    server = counted
    with server.client() as visitor:  # no credentials: a visitor of the sign-up page
        answer = visitor.post("/api/v1/page-views", json={"path": "/ui/signup?ref=abc#x"})
        assert answer.status_code == 204 and "set-cookie" not in answer.headers
        assert visitor.post("/api/v1/page-views", json={"path": "https://tracker.example/x"}).status_code == 422
        page = visitor.get("/ui/")
    assert "set-cookie" not in page.headers
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text  # no third-party script or asset
    assert any(r["route"] == "/ui/signup" for r in stored_rows(server)["pages"])


def test_p4_operator_sees_volume_only_above_the_minimum_group_size(counted):
    server = counted
    time.sleep(0.5)  # let the server's last counter flush pass (this test process writes to SQLite too)
    for _ in range(5):
        new_tenant(server, "volume")
    lonely = new_tenant(server, "lonely")
    with server.client(operator_token(server)) as operator:
        assert operator.put(f"/api/v1/operator/accounts/{lonely.account_id}/plan", json={"plan": "business"}).is_success
        report = operator.get("/api/v1/operator/stats").json()
    volume = report["volume_this_month"]
    assert report["collecting"] is True and volume["min_group_size"] == 5
    plans = {g["plan"]: g for g in volume["groups"]}
    assert plans["free"]["accounts"] >= 5
    assert "business" not in plans and volume["withheld_groups"] >= 1  # one account is not a group
    assert all(g["accounts"] >= 5 for g in volume["groups"])


def test_p4_the_instance_switch_turns_collection_off(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        server = provision(url, tmp_path)
        server.extra_env = {"PROMPTWATCH_USAGE_STATS_ENABLED": "false", "PROMPTWATCH_USAGE_STATS_FLUSH_SECONDS": "0.2"}
        server.start()
        try:
            with server.client(server.first.api_key) as client:
                client.get("/api/v1/sessions")
                client.post("/api/v1/usage-stats/features", json={"feature": "ui.sessions.list"})
                client.post("/api/v1/page-views", json={"path": "/ui/sessions"})
            rows = stored_rows(server)
        finally:
            server.stop()
    assert rows == {"features": [], "pages": []}


def test_ui_feature_vocabulary_is_plain_names():
    assert all(name.replace(".", "").replace("_", "").isalpha() for name in UI_FEATURES)
    assert create_app(Settings()).state.services.usage_stats.enabled is True
