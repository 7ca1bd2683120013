"""Cache savings against the real server: a CachedLLM hit is recorded as a hit that cost nothing and saved
what the call would have cost; the usage API and the cache namespaces add the savings up."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")

import promptwatch  # noqa: E402
from promptwatch import CachedLLM, PromptWatch  # noqa: E402
from tests.support.payloads import uid  # noqa: E402

from .test_sdk_prompt_loop import CountingLLM, poll, session_activities  # noqa: E402


class PricedLLM(CountingLLM):
    """A counting fake LLM that names a priced model."""

    model_name: str = "gpt-4o-mini"

    @property
    def _identifying_params(self) -> dict:
        return {**super()._identifying_params, "model_name": self.model_name}


def warmed_tenant(live_server, name: str):
    """A tenant of a server whose embedding model is loaded: the server loads it on the first cache call, which
    on a busy machine can take longer than the 2 s the SDK gives a cache call before counting it a miss."""
    tenant = live_server.new_tenant(name)
    with live_server.client(tenant.api_key) as client:
        warm = client.post(f"/api/v1/cache/warm.{uid()}/lookup", json={"text": "warming up"})
        assert warm.status_code == 200, warm.text
    return tenant


def test_a_cache_hit_costs_nothing_and_saves_what_the_call_would_have_cost(live_server, sdk_to):  # noqa: F811
    tenant = warmed_tenant(live_server, "savings")
    sdk_to(live_server, tenant.api_key)
    inner = PricedLLM(responses=["Paris is the capital of France, and has been for centuries."])
    llm = CachedLLM(inner, cache_namespace_key=uid("geo"))
    session_id = uid("saved-")
    question = "What is the capital of France? Answer in one sentence."
    with PromptWatch(session_id=session_id, tracking_project="geo"):
        first, second = llm.invoke(question), llm.invoke(question)
    assert first == second and inner.calls == 1
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        calls = [a for a in session_activities(client, session_id, 2) if a["activity_type"] == "llm-prompt"]
        miss, hit = sorted(calls, key=lambda a: a["order"])
        usage = poll(
            lambda: client.get("/api/v1/metrics/usage").json()["totals"], lambda totals: totals["cache_hits"] >= 1
        )
        namespaces = {item["namespace"]: item for item in client.get("/api/v1/cache").json()["items"]}

    assert miss["model"] == hit["model"] == "gpt-4o-mini"
    assert miss["cache_namespace"] is None and miss["saved_cost"] is None and miss["cost"] > 0
    assert hit["metadata"]["cache"]["hit"] is True and hit["cache_namespace"] == f"geo.{llm.cache_namespace_key}"
    assert hit["cost"] == 0 and hit["saved_cost"] > 0
    assert hit["saved_cost"] == pytest.approx(miss["cost"])  # the same prompt and answer from the same model
    assert usage["calls"] == 2 and usage["cache_hits"] == 1
    assert usage["saved_cost"] == pytest.approx(hit["saved_cost"])
    assert usage["cost"] == pytest.approx(miss["cost"])
    namespace = namespaces[hit["cache_namespace"]]
    assert namespace["hits"] == 1 and namespace["saved_cost"] == pytest.approx(hit["saved_cost"])
    assert namespace["last_hit_at"] is not None and namespace["last_used_at"] == namespace["last_hit_at"]


def test_deleting_a_cache_hit_takes_its_saving_out_of_the_usage_figures(live_server, sdk_to):  # noqa: F811
    tenant = warmed_tenant(live_server, "unsaved")
    sdk_to(live_server, tenant.api_key)
    llm = CachedLLM(PricedLLM(responses=["Blue, because of Rayleigh scattering."]), cache_namespace_key="sky")
    session_id = uid("unsaved-")
    with PromptWatch(session_id=session_id):
        llm.invoke("Why is the sky blue?")
        llm.invoke("Why is the sky blue?")
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        session_activities(client, session_id, 2)
        before = client.get("/api/v1/metrics/usage").json()["totals"]
        assert before["cache_hits"] == 1 and before["saved_cost"] > 0
        assert client.delete(f"/api/v1/sessions/{session_id}").status_code in (200, 202, 204)
        after = client.get("/api/v1/metrics/usage").json()["totals"]
    assert after["cache_hits"] == 0 and after["saved_cost"] == 0
