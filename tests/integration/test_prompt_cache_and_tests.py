"""The published client's prompt-cache and unit-test endpoints (WIRE_PROTOCOL §5 rows 6-11) and the native
cache API: shapes, tolerance, upserts, the similarity gate and guards, and isolation between accounts."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from urllib.parse import quote

from tests.support.payloads import uid

VEC = [0.1, 0.2, 0.3, 0.4]
OTHER = [0.4, -0.3, 0.2, -0.1]


def test_cache_miss_add_hit_and_the_hit_shape(client):
    ns = f"proj.{uid()}"
    body = {"embedding": VEC, "prompt_template_identity": None, "prompt_input_values": None}
    miss = client.post(f"/prompt-cache/{ns}/get", params={"min_similarity": "0.97"}, json=body)
    assert miss.status_code == 200 and miss.json() == {}
    added = client.post(f"/prompt-cache/{ns}", json={**body, "id": uid(), "result": "Paris"})
    assert added.status_code == 200
    hit = client.post(f"/prompt-cache/{ns}/get", params={"min_similarity": "0.97"}, json=body).json()
    assert hit["result"] == "Paris" and abs(hit["similarity"] - 1.0) < 1e-6
    far = client.post(f"/prompt-cache/{ns}/get?min_similarity=0.97", json={**body, "embedding": OTHER}).json()
    assert far == {}


def test_cache_entries_upsert_by_id_and_template_identity_must_match(client):
    ns = f"proj.{uid()}"
    entry_id = uid()
    client.post(f"/prompt-cache/{ns}", json={"embedding": VEC, "id": entry_id, "result": "first"})
    client.post(f"/prompt-cache/{ns}", json={"embedding": VEC, "id": entry_id, "result": "second"})
    hit = client.post(f"/prompt-cache/{ns}/get", json={"embedding": VEC}).json()
    assert hit["result"] == "second"
    other_identity = {"embedding": VEC, "prompt_template_identity": "faq:1.0"}
    assert client.post(f"/prompt-cache/{ns}/get", json=other_identity).json() == {}


def test_cache_list_of_vectors_compares_each_input(client):
    ns = f"proj.{uid()}"
    identity = "faq_template:1.0"
    stored = {
        "embedding": [VEC, OTHER],
        "prompt_template_identity": identity,
        "prompt_input_values": {"topic": "pricing", "style": "short"},
    }
    client.post(f"/prompt-cache/{ns}", json={**stored, "id": uid(), "result": "cheap"})
    hit = client.post(f"/prompt-cache/{ns}/get?min_similarity=0.97", json=stored).json()
    assert hit["result"] == "cheap"
    one_input_changed = {**stored, "embedding": [VEC, VEC]}
    assert client.post(f"/prompt-cache/{ns}/get?min_similarity=0.97", json=one_input_changed).json() == {}
    # same vectors (a weak embedding) but another value of an input: the input guard refuses
    other_value = {**stored, "prompt_input_values": {"topic": "refunds", "style": "short"}}
    assert client.post(f"/prompt-cache/{ns}/get?min_similarity=0.97", json=other_value).json() == {}
    # another shape never matches
    assert client.post(f"/prompt-cache/{ns}/get", json={**stored, "embedding": [VEC]}).json() == {}


def test_cache_is_tolerant_of_odd_bodies(client):
    ns = f"proj.{uid()}"
    for body in (None, [], {"embedding": "x"}, {"embedding": [[1, 2], [3]]}, {"embedding": [True, 1.0]}):
        response = client.post(f"/prompt-cache/{ns}/get", json=body)
        assert response.status_code == 200 and response.json() == {}, body
    assert client.post(f"/prompt-cache/{ns}/get", content=b"not json").json() == {}
    assert client.post(f"/prompt-cache/{ns}", json={"embedding": VEC}).json() == {"ok": False}
    assert client.post(f"/prompt-cache/{ns}/get?min_similarity=junk", json={"embedding": VEC}).status_code == 200


def test_cache_clear_all_and_until_a_str_datetime(client):
    ns = f"default.{uid()}"
    client.post(f"/prompt-cache/{ns}", json={"embedding": VEC, "id": uid(), "result": "old"})
    # until in the past (with a space, as str(datetime) writes it): nothing is older, nothing goes
    kept = client.post(f"/prompt-cache/{ns}/clear", params={"until": "2020-01-01 00:00:00+00:00"})
    assert kept.status_code == 200 and kept.json()["deleted"] == 0
    assert client.post(f"/prompt-cache/{ns}/get", json={"embedding": VEC}).json()["result"] == "old"
    gone = client.post(f"/prompt-cache/{ns}/clear", params={"until": "2999-01-01 00:00:00+00:00"}).json()
    assert gone["deleted"] == 1
    client.post(f"/prompt-cache/{ns}", json={"embedding": VEC, "id": uid(), "result": "new"})
    assert client.post(f"/prompt-cache/{ns}/clear", content=b"").json()["deleted"] == 1
    assert client.post(f"/prompt-cache/{ns}/get", json={"embedding": VEC}).json() == {}
    assert client.post(f"/prompt-cache/{ns}/clear", params={"until": "yesterday"}).status_code == 422


def test_p16_cache_entries_belong_to_their_account(live_server):
    ns = f"shared.{uid()}"
    owner, intruder = live_server.new_tenant("cache-owner"), live_server.new_tenant("cache-intruder")
    with live_server.client(owner.api_key) as mine:
        mine.post(f"/prompt-cache/{ns}", json={"embedding": VEC, "id": "same-id", "result": "owner's answer"})
    with live_server.client(intruder.api_key) as theirs:
        assert theirs.post(f"/prompt-cache/{ns}/get", json={"embedding": VEC}).json() == {}
        theirs.post(f"/prompt-cache/{ns}", json={"embedding": VEC, "id": "same-id", "result": "intruder"})
        theirs.post(f"/prompt-cache/{ns}/clear")
        assert theirs.get("/api/v1/cache").json()["items"] == []
    with live_server.client(owner.api_key) as mine:
        assert mine.post(f"/prompt-cache/{ns}/get", json={"embedding": VEC}).json()["result"] == "owner's answer"
    with live_server.client() as anonymous:
        assert anonymous.post(f"/prompt-cache/{ns}/get", json={"embedding": VEC}).status_code == 401


def test_path_params_are_url_decoded(client):
    ns = "proj.with space"
    client.post(f"/prompt-cache/{quote(ns)}", json={"embedding": VEC, "id": uid(), "result": "spaced"})
    names = [n["namespace"] for n in client.get("/api/v1/cache").json()["items"]]
    assert ns in names


def run(run_id: str, name: str, **results) -> dict:
    return {
        "run_id": run_id,
        "session_id": uid("s-"),
        "evaluation_method": "cos_sim_score",
        "test_name": name,
        "start_time": "2026-11-29T07:18:57.703956+00:00",
        "end_time": None,
        "conditions": None,
        "results": {"overall_score": None, "total_processed": 0, "passed": 0, "failed": 0, **results},
    }


def result(order: int, passed: bool, score: float) -> dict:
    return {
        "evaluation_method": "cos_sim_score",
        "evaluation_metadata": None,
        "test_case": {
            "id": None,
            "for_template_name": None,
            "for_tracking_project": None,
            "inputs": {"input": f"case {order}"},
            "outputs": [{"label": 1, "value": "x"}],
        },
        "activity_id": None,
        "llm_prompt": None,
        "conversation_session_id": None,
        "response_time_ms": None,
        "passed": passed,
        "order": order,
        "reasoning": None,
        "score": score,
        "generated_result": "x",
        "error_description": None,
    }


def test_test_runs_upsert_and_results_dedupe_by_order(client):
    name, run_id = f"unit {uid()}", uid()
    assert client.post(f"/tests/{quote(name)}/runs", json=run(run_id, name)).status_code == 200
    details = f"/tests/{quote(name)}/runs/{run_id}/result-details"
    client.post(details, json=[result(1, True, 0.99)])
    client.post(details, json=[result(1, True, 0.99), result(2, False, 0.1)])  # re-sent with the next batch
    final = run(run_id, name, overall_score=0.5, total_processed=2, passed=1, failed=1)
    final["end_time"] = "2026-11-29T07:18:58.337789+00:00"
    client.post(f"/tests/{quote(name)}/runs", json=final)
    runs = client.get("/api/v1/tests/runs", params={"test_name": name}).json()["items"]
    assert len(runs) == 1 and runs[0]["passed"] == 1 and runs[0]["end_time"] is not None
    stored = client.get(f"/api/v1/tests/runs/{run_id}").json()
    assert [r["order"] for r in stored["results"]] == [1, 2] and stored["overall_score"] == 0.5
    other = uid()
    client.post(f"/tests/{quote(name)}/runs", json=run(other, name))
    client.post(f"/tests/{quote(name)}/runs/{other}/result-details", json=[result(1, False, 0.2)])
    compared = client.get(f"/api/v1/tests/runs/{run_id}/compare/{other}").json()
    first = next(c for c in compared["cases"] if c["inputs"] == {"input": "case 1"})
    assert first["a"]["passed"] is True and first["b"]["passed"] is False


def test_test_cases_are_annotated_llm_calls_of_a_template(live_server):
    tenant = live_server.new_tenant("cases")
    template = f"tmpl_{uid()}"
    sid = uid()
    calls = [
        {
            "id": uid(),
            "order": 1,
            "start_time": "2026-11-29T07:18:22+00:00",
            "end_time": "2026-11-29T07:18:23+00:00",
            "activity_type": "llm-prompt",
            "prompt": f"Slogan for {product}",
            "generated": slogan,
            "prompt_template": {
                "prompt_template": "Slogan for {product}",
                "prompt_input_params": ["product"],
                "format": "f-string",
                "template_name": template,
                "template_version": "1.0",
            },
            "prompt_input_values": {"product": product},
            "feedback_label": label,
        }
        for product, slogan, label in [
            ("shoes", "Just do it", 1),
            ("shoes", "Buy now or else", 0),
            ("socks", "Warm feet", None),
        ]
    ]
    with live_server.client(tenant.api_key) as client:
        client.post(f"/sessions/{sid}/activities", json=calls)
        # an annotation through the API turns the third call into an example too
        client.put(f"/api/v1/activities/{calls[2]['id']}/annotation", json={"label": 1, "notes": "good"})
        cases = client.get("/test-cases", params={"for_template_name": template, "skp": 0, "limit": 500}).json()
        assert client.get("/test-cases", params={"for_template_name": "nothing-here"}).json() == []
    by_input = {c["inputs"]["product"]: c for c in cases}
    assert by_input["shoes"]["outputs"] == [
        {"label": 1, "value": "Just do it"},
        {"label": 0, "value": "Buy now or else"},
    ]
    assert by_input["socks"]["outputs"] == [{"label": 1, "value": "Warm feet"}]
    assert by_input["shoes"]["for_template_name"] == template


def test_native_cache_text_lookup_hits_paraphrases_and_refuses_near_misses(client):
    ns = f"native.{uid()}"
    stored = client.post(
        f"/api/v1/cache/{ns}/entries",
        json={"text": "What is the distance from the Earth to the Sun?", "result": "1 AU"},
    )
    assert stored.status_code == 200, stored.text
    same = client.post(f"/api/v1/cache/{ns}/lookup", json={"text": "What is the distance from the Earth to the Sun?"})
    assert same.json()["hit"] is True and same.json()["result"] == "1 AU"
    reworded = client.post(f"/api/v1/cache/{ns}/lookup", json={"text": "How far away is the Sun from Earth?"}).json()
    assert reworded["hit"] is True
    moon = client.post(f"/api/v1/cache/{ns}/lookup", json={"text": "What is the distance from the Earth to the Moon?"})
    assert moon.json()["hit"] is False
    assert client.post(f"/api/v1/cache/{ns}/lookup", json={}).status_code == 422
    assert client.post(f"/api/v1/cache/{ns}/entries", json={"text": "x"}).status_code == 422
    assert client.delete(f"/api/v1/cache/{ns}").json() == {"deleted": 1}


def test_p18_cache_deleted_entry_is_never_served_from_a_warm_index(client):
    """The lookup ranks with an in-process index; a deleted entry must still never be served, even when it
    was not the namespace's latest write (so the index's freshness check cannot see the delete)."""
    ns = f"native.{uid()}"
    question = "What is the refund policy for orders over 100 euros?"
    lookup = {"text": question}
    client.post(f"/api/v1/cache/{ns}/entries", json={"text": question, "result": "deleted answer"})
    time.sleep(0.05)
    moment = datetime.now(timezone.utc)
    time.sleep(0.05)
    client.post(f"/api/v1/cache/{ns}/entries", json={"text": "Translate 'good morning' into French.", "result": "B"})
    warm = client.post(f"/api/v1/cache/{ns}/lookup", json=lookup).json()
    assert warm["hit"] is True and warm["result"] == "deleted answer"
    cleared = client.delete(f"/api/v1/cache/{ns}", params={"until": moment.isoformat()})
    assert cleared.json() == {"deleted": 1}
    for _ in range(2):  # the first lookup finds the entry gone and marks the index stale; the next rebuilds
        assert client.post(f"/api/v1/cache/{ns}/lookup", json=lookup).json()["hit"] is False
    client.post(f"/api/v1/cache/{ns}/entries", json={"text": question, "result": "new answer"})
    assert client.post(f"/api/v1/cache/{ns}/lookup", json=lookup).json()["result"] == "new answer"


def test_cache_update_in_place_is_seen_by_a_warm_index(client):
    ns = f"proj.{uid()}"
    entry = {"id": uid(), "prompt_template_identity": None, "prompt_input_values": None}
    client.post(f"/prompt-cache/{ns}", json={**entry, "embedding": VEC, "result": "first"})
    assert client.post(f"/prompt-cache/{ns}/get", json={"embedding": VEC}).json()["result"] == "first"
    client.post(f"/prompt-cache/{ns}", json={**entry, "embedding": OTHER, "result": "second"})
    assert client.post(f"/prompt-cache/{ns}/get", json={"embedding": VEC}).json() == {}
    assert client.post(f"/prompt-cache/{ns}/get", json={"embedding": OTHER}).json()["result"] == "second"
