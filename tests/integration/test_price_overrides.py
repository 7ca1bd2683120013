"""Per-account price overrides with effective dates; costs stay as they were computed at ingest."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.support.payloads import BASE_TIME, llm, uid


def test_override_prices_new_calls_and_leaves_stored_costs_alone(live_server):
    tenant = live_server.new_tenant("prices")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    usage = {"prompt_tokens": 1_000_000, "completion_tokens": 1_000_000}
    with live_server.client(admin_key) as client:
        before_sid = uid("s-")
        client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), before_sid, model="acme-ft", usage=usage)]})
        assert client.get(f"/api/v1/sessions/{before_sid}").json()["activities"][0]["cost"] is None
        past = (datetime.now(timezone.utc) - timedelta(days=365)).isoformat()
        created = client.post(
            "/api/v1/prices/overrides",
            json={"model": "acme-ft", "input_per_mtok": 1.0, "output_per_mtok": 3.0, "effective_from": past},
        )
        assert created.status_code == 201, created.text
        sid = uid("s-")
        client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), sid, model="acme-ft", usage=usage)]})
        activity = client.get(f"/api/v1/sessions/{sid}").json()["activities"][0]
        assert activity["cost"] == 4.0 and activity["price_version"] == f"override:{created.json()['id']}"
        assert client.get(f"/api/v1/sessions/{before_sid}").json()["activities"][0]["cost"] is None
        quote = client.get("/api/v1/prices/quote", params={"model": "acme-ft", "prompt_tokens": 500_000}).json()
        assert quote["cost"] == 0.5
        assert (
            client.get("/api/v1/prices/quote", params={"model": "gpt-4o", "prompt_tokens": 1_000_000}).json()["cost"]
            == 2.5
        )
        assert client.delete(f"/api/v1/prices/overrides/{created.json()['id']}").status_code == 204
        assert client.get("/api/v1/prices/overrides").json()["items"] == []
    with live_server.client(tenant.api_key) as ingest_only:
        denied = ingest_only.post(
            "/api/v1/prices/overrides", json={"model": "x", "input_per_mtok": 1, "output_per_mtok": 1}
        )
        assert denied.status_code == 403


def test_non_finite_absurd_or_negative_prices_are_422_naming_the_field_and_nothing_is_stored(live_server):
    tenant = live_server.new_tenant("bad-prices")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    good = {"model": "acme-ft", "input_per_mtok": 1.0, "output_per_mtok": 3.0}
    with live_server.client(admin_key) as client:
        assert client.post("/api/v1/prices/overrides", json=good).status_code == 201
        for field in ("input_per_mtok", "output_per_mtok"):
            for raw in ("1e400", "-1e400", "NaN", "Infinity", "1e308", "1000000.01", "-0.5"):
                other = "output_per_mtok" if field == "input_per_mtok" else "input_per_mtok"
                body = f'{{"model": "acme-ft", "{other}": 1, "{field}": {raw}}}'  # JSON that json= cannot write
                answer = client.post(
                    "/api/v1/prices/overrides", content=body, headers={"content-type": "application/json"}
                )
                assert answer.status_code == 422, (field, raw, answer.text)
                assert answer.headers["content-type"] == "application/problem+json"
                assert [e["field"] for e in answer.json()["errors"]] == [field], answer.text
        assert client.post("/api/v1/prices/overrides", json={**good, "input_per_mtok": 1_000_000}).status_code == 201
        stored = client.get("/api/v1/prices/overrides").json()["items"]
        assert sorted(o["input_per_mtok"] for o in stored) == [1.0, 1_000_000.0]


def test_a_quote_takes_the_token_counts_ingest_takes_and_an_iso_time(client):
    """Up to 10^12 tokens, as `usage` at ingest; `at` with a UTC offset, never a bare number."""
    quote = "/api/v1/prices/quote"
    assert client.get(quote, params={"model": "gpt-4o", "prompt_tokens": 10**12}).json()["cost"] == 2.5e6
    for params, field in (
        ({"prompt_tokens": 10**12 + 1}, "query.prompt_tokens"),
        ({"completion_tokens": 99999999999999999999}, "query.completion_tokens"),
        ({"at": "1790000000"}, "query.at"),
        ({"at": "2026-10-05"}, "query.at"),
    ):
        answer = client.get(quote, params={"model": "gpt-4o", **params})
        assert answer.status_code == 422, (params, answer.text)
        assert [e["field"] for e in answer.json()["errors"]] == [field], answer.text
    at = client.get(quote, params={"model": "gpt-4o", "prompt_tokens": 1_000_000, "at": "2026-01-01T00:00:00Z"})
    assert at.status_code == 200 and at.json()["cost"] == 2.5, at.text


def test_a_model_called_through_an_openai_compatible_gateway_is_priced_by_its_name(client):
    """`instrument_openai` records provider "openai" whatever model the gateway serves."""
    sid = uid("s-")
    usage = {"prompt_tokens": 1_000, "completion_tokens": 100}
    item = llm(uid("a-"), sid, model="claude-3-5-sonnet-20241022", provider="openai", usage=usage)
    assert client.post("/api/v1/ingest", json={"activities": [item]}).status_code == 200
    activity = client.get(f"/api/v1/sessions/{sid}").json()["activities"][0]
    assert activity["cost"] == pytest.approx(0.0045) and activity["price_version"] == "genai-prices-0.2.3"
    quote = "/api/v1/prices/quote"
    params = {"model": "claude-3-5-sonnet-20241022", "prompt_tokens": 1_000, "completion_tokens": 100}
    assert client.get(quote, params={**params, "provider": "openai"}).json() == client.get(quote, params=params).json()


def test_calls_stored_without_a_price_are_priced_once_their_model_has_one(live_server):
    tenant, other = live_server.new_tenant("unpriced"), live_server.new_tenant("unpriced-other")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    usage = {"prompt_tokens": 1_000_000, "completion_tokens": 1_000_000}
    with live_server.client(other.api_key) as client:  # another account's call of the same model
        client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), uid("s-"), model="acme-ft", usage=usage)]})
    first, second = uid("s-"), uid("s-")
    calls = [
        llm(uid("a-"), first, model="acme-ft", usage=usage),
        llm(uid("a-"), first, model="Acme-FT", usage=usage),
        llm(uid("a-"), first, model="gpt-4o", usage=usage),
        llm(uid("a-"), second, model="other-ft", usage=usage),
        llm(uid("a-"), second, model="acme-ft", error="refused", generated=None),  # no tokens: not unpriced
    ]
    with live_server.client(admin_key) as client:
        assert client.post("/api/v1/ingest", json={"activities": calls}).status_code == 200
        listed = client.get("/api/v1/prices/unpriced").json()["items"]
        assert sorted(item["model"] for item in listed) == ["Acme-FT", "acme-ft", "other-ft"]
        assert {item["calls"] for item in listed} == {1}
        before = client.get("/api/v1/metrics/usage").json()["totals"]
        session_cost = client.get(f"/api/v1/sessions/{first}").json()["cost"]
        past = (BASE_TIME - timedelta(days=1)).isoformat()
        override = {"model": "acme-ft", "input_per_mtok": 1.0, "output_per_mtok": 3.0, "effective_from": past}
        override_id = client.post("/api/v1/prices/overrides", json=override).json()["id"]
        answer = client.post("/api/v1/prices/unpriced/price", json={"model": "ACME-ft"})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"priced_calls": 2, "cost": 8.0, "unpriced_calls": 0}
        stored = client.get(f"/api/v1/sessions/{first}").json()
        assert stored["cost"] == session_cost + 8.0
        acme = [a for a in stored["activities"] if a["model"].lower() == "acme-ft"]
        assert [(a["cost"], a["price_version"]) for a in acme] == [(4.0, f"override:{override_id}")] * 2
        after = client.get("/api/v1/metrics/usage").json()["totals"]
        assert after["cost"] == before["cost"] + 8.0 and after["unpriced_calls"] == before["unpriced_calls"] - 2
        assert after["calls"] == before["calls"] and after["total_tokens"] == before["total_tokens"]
        by_model = client.get("/api/v1/metrics/usage", params={"group_by": "model"}).json()
        assert by_model["totals"] == after
        assert client.get("/api/v1/prices/unpriced").json()["items"] == [{"model": "other-ft", "calls": 1}]
        again = client.post("/api/v1/prices/unpriced/price").json()  # the rest has no price yet
        assert again == {"priced_calls": 0, "cost": 0.0, "unpriced_calls": 1}
        assert client.get(f"/api/v1/sessions/{second}").json()["cost"] == 0
        for bad in ({"model": ""}, {"model": "x", "since": "now"}, {"model": 3}):
            refused = client.post("/api/v1/prices/unpriced/price", json=bad)
            assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    with live_server.client(tenant.api_key) as ingest_only:
        assert ingest_only.post("/api/v1/prices/unpriced/price").status_code == 403
    with live_server.client(other.api_key) as client:
        assert client.get("/api/v1/prices/unpriced").json()["items"] == [{"model": "acme-ft", "calls": 1}]
