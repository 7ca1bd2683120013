"""Clauses P11 (passwords and keys kept confidential) and P13 (no cookies of our own)."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from tests.support.payloads import llm, uid


def test_p13_no_response_sets_a_cookie(live_server):
    tenant = live_server.new_tenant("cookies")
    with live_server.client(tenant.api_key) as client:
        login = client.post("/api/v1/auth/login", json={"email": tenant.owner_email, "password": tenant.owner_password})
        responses = [
            login,
            client.get("/api/v1/health"),
            client.get("/api/v1/sessions"),
            client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), uid("s-"))]}),
            client.get("/api/v1/sessions/none"),
            client.get("/openapi.json"),
            client.get("/metrics"),
            client.post("/sessions/start", json={"id": uid()}),
        ]
        for response in responses:
            assert "set-cookie" not in response.headers, response.url
        assert not client.cookies


def test_p13_login_returns_a_bearer_token_that_works_and_logs_out(live_server):
    tenant = live_server.new_tenant("login")
    with live_server.client() as client:
        wrong = client.post("/api/v1/auth/login", json={"email": tenant.owner_email, "password": "nope"})
        assert wrong.status_code == 401
        token = client.post(
            "/api/v1/auth/login", json={"email": tenant.owner_email, "password": tenant.owner_password}
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        me = client.get("/api/v1/me", headers=headers).json()
        assert me["account"]["id"] == tenant.account_id and me["role"] == "owner"
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
        assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_p11_passwords_and_key_secrets_are_never_stored_in_clear(live_server):
    tenant = live_server.new_tenant("hashing")
    secret = base64.b64decode(tenant.api_key).decode().split(":", 1)[1]
    engine = create_engine(live_server.database_url)
    with engine.connect() as conn:
        hashes = conn.execute(
            text("SELECT password_hash FROM users WHERE email = :e"), {"e": tenant.owner_email}
        ).scalar()
        stored = [
            r[0]
            for r in conn.execute(
                text("SELECT secret_hash FROM api_keys WHERE account_id = :a"), {"a": tenant.account_id}
            )
        ]
    engine.dispose()
    assert hashes.startswith("$argon2id$") and tenant.owner_password not in hashes
    assert stored and all(secret not in value for value in stored)
    assert all(len(value) == 64 for value in stored)


def test_p11_keys_shown_once_listed_without_secret_and_revocable(live_server):
    tenant = live_server.new_tenant("keys")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(admin_key) as admin:
        created = admin.post("/api/v1/keys", json={"scope": "read", "name": "dashboards"})
        assert created.status_code == 201
        new_key, key_id = created.json()["api_key"], created.json()["key_id"]
        listed = admin.get("/api/v1/keys").json()["items"]
        assert key_id in [k["key_id"] for k in listed]
        assert new_key not in str(listed)
        with live_server.client(new_key) as reader:
            assert reader.get("/api/v1/sessions").status_code == 200
            assert admin.delete(f"/api/v1/keys/{key_id}").status_code == 204
            assert reader.get("/api/v1/sessions").status_code == 401


def test_p11_expired_key_is_refused(live_server):
    tenant = live_server.new_tenant("expiry")
    keys = live_server.accounts()._rt.keys
    soon = datetime.now(timezone.utc) + timedelta(seconds=1)
    key = keys.create(tenant.account_id, "read", expires_at=soon)
    time.sleep(1.2)
    with live_server.client(key) as client:
        response = client.get("/api/v1/sessions")
        assert response.status_code == 401 and "expired" in response.json()["detail"]
