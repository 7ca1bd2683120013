"""Costs that are sums of stored costs (a session's total, the usage metrics, a template version's stats, what a
cache namespace saved, the staff's usage per account) come out without floating-point noise: 0.1 + 0.2 reads 0.3,
not 0.30000000000000004, and a cost below a millionth of a dollar keeps its digits."""

from __future__ import annotations

from promptwatch.server.services.token_counting import count_tokens
from tests.support.payloads import llm, session, uid

from .test_p16_roles import staff_token

MODEL, CHEAP = "acme-sum", "acme-cheap"
# a token of MODEL's prompt costs $0.1: calls of 1 and 2 prompt tokens cost 0.1 and 0.2, which add up to
# 0.30000000000000004 in floating point, as do three cache hits that saved 0.1 each
PRICES = {MODEL: 100_000.0, CHEAP: 0.0123}
PAST = "2020-01-01T00:00:00+00:00"
ALL = 0.3000000861  # 0.1 + 0.2 + 8.61e-08


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def test_summed_costs_read_without_float_noise(live_server):
    assert 0.1 + 0.2 != 0.3 and 0.1 + 0.1 + 0.1 != 0.3  # the sums the store makes
    assert count_tokens("hi", MODEL) == 1  # what a cache hit's saving is priced on
    tenant = live_server.new_tenant("cost-sums")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    namespace, template, sid, cheap_sid = uid("ns-"), f"t_{uid()}", uid("s-"), uid("s-")
    prompt_template = {"prompt_template": "Say {x}", "format": "f-string", "template_name": template}
    in_template = {"prompt": "Say 1", "prompt_template": prompt_template, "prompt_input_values": {"x": "1"}}
    priced = [
        llm(uid("a-"), sid, model=MODEL, usage={"prompt_tokens": tokens, "completion_tokens": 0}, **in_template)
        for tokens in (1, 2)
    ]
    hits = [
        llm(uid("a-"), sid, model=MODEL, prompt="hi", metadata={"cache": {"hit": True, "namespace": namespace}})
        for _ in range(3)
    ]
    cheap = llm(uid("a-"), cheap_sid, model=CHEAP, usage={"prompt_tokens": 7, "completion_tokens": 0})
    with live_server.client(admin_key) as client:
        for model, price in PRICES.items():
            override = {"model": model, "input_per_mtok": price, "output_per_mtok": 0.0, "effective_from": PAST}
            ok(client.post("/api/v1/prices/overrides", json=override), 201)
        ok(client.post(f"/api/v1/cache/{namespace}/entries", json={"result": "hello", "embedding": [1.0, 0.0]}))
        body = {"sessions": [session(sid), session(cheap_sid)], "activities": [*priced, *hits, cheap]}
        assert ok(client.post("/api/v1/ingest", json=body))["rejected"] == 0

        detail = ok(client.get(f"/api/v1/sessions/{sid}"))
        assert sorted(a["cost"] for a in detail["activities"]) == [0, 0, 0, 0.1, 0.2]  # each call as priced
        assert sorted(a["saved_cost"] or 0 for a in detail["activities"]) == [0, 0, 0.1, 0.1, 0.1]
        assert detail["cost"] == 0.3
        listed = {s["id"]: s for s in ok(client.get("/api/v1/sessions"))["items"]}
        assert listed[sid]["cost"] == 0.3
        assert listed[cheap_sid]["cost"] == 8.61e-08  # 7 tokens at $0.0123 per million: every digit kept
        for bound in ("min_cost", "max_cost"):  # a range takes the sums as answered
            within = ok(client.get("/api/v1/sessions", params={bound: 0.3}))["items"]
            assert sid in {s["id"] for s in within}, bound
        assert ok(client.get("/api/v1/sessions", params={"min_cost": 0.3000000001}))["items"] == []

        for group_by in ("model", "template", "project"):
            usage = ok(client.get("/api/v1/metrics/usage", params={"group_by": group_by, "interval": "hour"}))
            assert usage["totals"]["cost"] == ALL, group_by
            assert usage["totals"]["saved_cost"] == 0.3, group_by
            for row in (*usage["groups"], *usage["series"]):
                assert row["cost"] in (0, 0.3, ALL, 8.61e-08), (group_by, row)
                assert row["saved_cost"] in (0, 0.3), (group_by, row)
        by_model = ok(client.get("/api/v1/metrics/usage", params={"group_by": "model"}))["groups"]
        assert {g["group"]: g["cost"] for g in by_model} == {MODEL: 0.3, CHEAP: 8.61e-08}

        versions = ok(client.get(f"/api/v1/templates/{template}"))["versions"]
        assert [v["stats"]["cost"] for v in versions] == [0.3]
        namespaces = {n["namespace"]: n for n in ok(client.get("/api/v1/cache"))["items"]}
        assert namespaces[namespace]["saved_cost"] == 0.3

    with live_server.client(staff_token(live_server)) as staff:
        accounts = {u["account_id"]: u for u in ok(staff.get("/api/v1/admin/usage"))["items"]}
        assert accounts[tenant.account_id]["cost"] == ALL


def test_large_totals_read_without_float_noise(live_server):
    """$10,000.1 + $20,000.2 is 30000.300000000003 in floating point, noise that twelve decimal places do not
    reach: a total keeps as many significant digits as it reliably has."""
    assert 10_000.1 + 20_000.2 == 30_000.300000000003
    tenant = live_server.new_tenant("cost-sums-large")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    sid = uid("s-")
    calls = [
        llm(uid("a-"), sid, model=MODEL, usage={"prompt_tokens": tokens, "completion_tokens": 0})
        for tokens in (100_001, 200_002)
    ]
    with live_server.client(admin_key) as client:
        override = {"model": MODEL, "input_per_mtok": PRICES[MODEL], "output_per_mtok": 0.0, "effective_from": PAST}
        ok(client.post("/api/v1/prices/overrides", json=override), 201)
        assert ok(client.post("/api/v1/ingest", json={"activities": calls}))["rejected"] == 0
        detail = ok(client.get(f"/api/v1/sessions/{sid}"))
        assert sorted(a["cost"] for a in detail["activities"]) == [10_000.1, 20_000.2]
        assert detail["cost"] == 30_000.3
        assert ok(client.get("/api/v1/metrics/usage"))["totals"]["cost"] == 30_000.3
