"""Per-account price overrides with effective dates; costs stay as they were computed at ingest."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.support.payloads import llm, uid


def test_override_prices_new_calls_and_leaves_stored_costs_alone(live_server):
    tenant = live_server.new_tenant("prices")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    usage = {"prompt_tokens": 1_000_000, "completion_tokens": 1_000_000}
    with live_server.client(admin_key) as client:
        before_sid = uid("s-")
        client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), before_sid, model="acme-ft", usage=usage)]})
        assert client.get(f"/api/v1/sessions/{before_sid}").json()["activities"][0]["cost"] is None
        past = (datetime.now(timezone.utc) - timedelta(days=365)).isoformat()
        created = client.post("/api/v1/prices/overrides", json={
            "model": "acme-ft", "input_per_mtok": 1.0, "output_per_mtok": 3.0, "effective_from": past})
        assert created.status_code == 201, created.text
        sid = uid("s-")
        client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), sid, model="acme-ft", usage=usage)]})
        activity = client.get(f"/api/v1/sessions/{sid}").json()["activities"][0]
        assert activity["cost"] == 4.0 and activity["price_version"] == f"override:{created.json()['id']}"
        assert client.get(f"/api/v1/sessions/{before_sid}").json()["activities"][0]["cost"] is None
        quote = client.get("/api/v1/prices/quote", params={"model": "acme-ft", "prompt_tokens": 500_000}).json()
        assert quote["cost"] == 0.5
        assert client.get("/api/v1/prices/quote", params={"model": "gpt-4o", "prompt_tokens": 1_000_000}).json()[
            "cost"] == 2.5
        assert client.delete(f"/api/v1/prices/overrides/{created.json()['id']}").status_code == 204
        assert client.get("/api/v1/prices/overrides").json()["items"] == []
    with live_server.client(tenant.api_key) as ingest_only:
        denied = ingest_only.post("/api/v1/prices/overrides", json={"model": "x", "input_per_mtok": 1,
                                                                    "output_per_mtok": 1})
        assert denied.status_code == 403
