"""Per-account price overrides with effective dates; costs stay as they were computed at ingest."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

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
