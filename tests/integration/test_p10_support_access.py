"""P10: operator staff read customer data only under a live grant the customer gave (whole account or named
sessions, reason, expiry), read-only, each access in the audit log the customer reads and exports; the
customer revokes at once. Administrative actions of members are audited too."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
from sqlalchemy import update

from promptwatch.server.services.clock import utc_now
from promptwatch.server.store.tables.support_access import support_grants
from tests.support.payloads import llm, uid

from .test_p16_roles import owner_token, staff_token


def _seed(live_server, tenant, count: int = 2) -> list[str]:
    ids = [uid("s-") for _ in range(count)]
    with live_server.client(tenant.api_key) as key:
        key.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), sid, prompt="private prompt") for sid in ids]})
    return ids


def test_p10_staff_need_a_live_grant_and_every_access_is_audited(live_server):
    tenant = live_server.new_tenant("support")
    sid, other = _seed(live_server, tenant)
    base = f"/api/v1/support/accounts/{tenant.account_id}/sessions"
    with live_server.client(staff_token(live_server)) as staff:
        assert staff.get(f"{base}/{sid}").status_code == 403  # no grant
        assert staff.get(base).status_code == 403
        with live_server.client(owner_token(live_server, tenant)) as owner:
            grant = owner.post("/api/v1/support-grants", json={"reason": "ticket 4711"})
            assert grant.status_code == 201
            grant = grant.json()
            assert grant["live"] and grant["scope"] == "account"
            lasts = datetime.fromisoformat(grant["expires_at"]) - datetime.fromisoformat(grant["created_at"])
            assert lasts == timedelta(hours=72)  # by default
        read = staff.get(f"{base}/{sid}")
        assert read.status_code == 200 and read.json()["activities"][0]["prompt"] == "private prompt"
        assert {s["id"] for s in staff.get(base).json()["items"]} == {sid, other}
        assert staff.delete(f"/api/v1/sessions/{sid}").status_code == 403  # read-only
        live = staff.get("/api/v1/support/grants").json()["items"]
        assert [g["reason"] for g in live if g["account_id"] == tenant.account_id] == ["ticket 4711"]
        with live_server.client(owner_token(live_server, tenant)) as owner:
            entries = owner.get("/api/v1/audit").json()["items"]
            reads = [e for e in entries if e["action"] == "support.read_session"]
            assert reads and reads[0]["target"] == sid and reads[0]["actor"].startswith("staff:")
            assert reads[0]["details"]["grant_id"] == grant["id"]
            assert owner.delete(f"/api/v1/support-grants/{grant['id']}").status_code == 204
        assert staff.get(f"{base}/{sid}").status_code == 403  # revoked: at once
        assert staff.get(base).status_code == 403


def test_p10_expired_grant_gives_no_access(live_server):
    tenant = live_server.new_tenant("expiry")
    (sid,) = _seed(live_server, tenant, 1)
    with live_server.client(owner_token(live_server, tenant)) as owner:
        grant = owner.post("/api/v1/support-grants", json={"reason": "short", "expires_in_hours": 1}).json()
        too_long = owner.post("/api/v1/support-grants", json={"reason": "long", "expires_in_hours": 31 * 24})
        assert too_long.status_code == 422  # at most 30 days
    with live_server.client(staff_token(live_server)) as staff:
        url = f"/api/v1/support/accounts/{tenant.account_id}/sessions/{sid}"
        assert staff.get(url).status_code == 200
        engine = live_server.accounts()._rt.engine
        with engine.begin() as conn:
            past = utc_now() - timedelta(seconds=1)
            conn.execute(update(support_grants).where(support_grants.c.id == grant["id"]).values(expires_at=past))
        engine.dispose()
        assert staff.get(url).status_code == 403


def test_p10_a_grant_of_named_sessions_covers_only_those(live_server):
    tenant = live_server.new_tenant("named")
    named, other = _seed(live_server, tenant)
    with live_server.client(owner_token(live_server, tenant)) as owner:
        body = {"scope": "sessions", "session_ids": [named], "reason": "JIRA-12"}
        assert owner.post("/api/v1/support-grants", json=body).status_code == 201
        assert owner.post("/api/v1/support-grants", json={"scope": "sessions", "reason": "x"}).status_code == 422
    with live_server.client(tenant.api_key) as key:  # a key is not a person: it cannot consent
        assert key.post("/api/v1/support-grants", json={"reason": "x"}).status_code == 403
    base = f"/api/v1/support/accounts/{tenant.account_id}/sessions"
    with live_server.client(staff_token(live_server)) as staff:
        assert staff.get(f"{base}/{named}").status_code == 200
        assert staff.get(f"{base}/{other}").status_code == 403
        assert [s["id"] for s in staff.get(base).json()["items"]] == [named]
        other_account = live_server.new_tenant("not-granted")
        assert staff.get(f"/api/v1/support/accounts/{other_account.account_id}/sessions/{named}").status_code == 403


def test_p10_audit_log_records_member_actions_and_exports_as_json_lines(live_server):
    tenant = live_server.new_tenant("audited")
    with live_server.client(owner_token(live_server, tenant)) as owner:
        key_id = owner.post("/api/v1/keys", json={"scope": "read"}).json()["key_id"]
        assert owner.delete(f"/api/v1/keys/{key_id}").status_code == 204
        owner.put("/api/v1/redaction", json={"email": True})
        grant = owner.post("/api/v1/support-grants", json={"reason": "ticket 9"}).json()
        owner.delete(f"/api/v1/support-grants/{grant['id']}")
        page = owner.get("/api/v1/audit", params={"limit": 2})
        assert len(page.json()["items"]) == 2 and page.json()["next_before"]
        export = owner.get("/api/v1/audit/export")
        assert export.status_code == 200 and export.headers["content-type"].startswith("application/x-ndjson")
        entries = [orjson.loads(line) for line in export.text.splitlines()]
        actions = [e["action"] for e in entries]
        expected = ["key.create", "key.revoke", "settings.redaction", "support.grant", "support.revoke", "audit.export"]
        assert actions == expected  # the export itself is audited too
        assert {e["actor"] for e in entries} == {entries[0]["actor"]} and entries[0]["actor"].startswith("user:")
        assert entries[1]["target"] == key_id
    with live_server.client(tenant.api_key) as key:  # an ingest key (a member's tool) may not read it
        assert key.get("/api/v1/audit").status_code == 403
    other = live_server.new_tenant("other-audit")
    with live_server.client(owner_token(live_server, other)) as stranger:
        assert stranger.get("/api/v1/audit").json()["items"] == []
