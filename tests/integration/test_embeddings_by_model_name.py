"""Embeddings calls that name their model but no provider, against the real server: an `@observe(as_type=
"embedding")` function and an OTLP embeddings span exported by the OpenTelemetry SDK are priced by the model's
name, as an LLM call without a provider is."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import promptwatch
from promptwatch import PromptWatch, observe
from tests.integration.test_otlp import export_with_sdk
from tests.support.payloads import uid
from tests.support.stored_sessions import stored_session

MODEL = "text-embedding-3-small"
PER_TOKEN = 0.02 / 1_000_000  # its price in genai-prices


def _response(texts: list[str], dimensions: int) -> SimpleNamespace:
    """What `openai`'s `embeddings.create` returns, with 3 prompt tokens a text."""
    data = [SimpleNamespace(index=i, embedding=[0.5] * dimensions) for i in range(len(texts))]
    usage = SimpleNamespace(prompt_tokens=3 * len(texts), total_tokens=3 * len(texts))
    return SimpleNamespace(data=data, model=MODEL, usage=usage)


@observe(as_type="embedding", name="embed")
def embed(texts: list[str], model: str, dimensions: int) -> SimpleNamespace:
    return _response(texts, dimensions)


@observe(as_type="embedding", name="embed-query")
def embed_query(query: str, model: str) -> list[float]:
    return [0.25] * 16


def test_an_observed_embedding_function_is_stored_as_a_priced_embedding(live_server, sdk_to):
    tenant = live_server.new_tenant("embeddings-observe")
    sdk_to(live_server, tenant.api_key)
    session_id = uid("obs-emb-")
    with PromptWatch(session_id=session_id):
        embed(["how are embeddings priced?", "by their prompt tokens"], model=MODEL, dimensions=64)
        embed_query("manual pages", model=MODEL)
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as api:
        stored = stored_session(api, session_id, 2)
        listed = api.get("/api/v1/activities", params={"activity_type": "embedding"})  # a tenant of its own
    batch, query = sorted(stored["activities"], key=lambda a: a["start_time"])
    assert (batch["activity_type"], batch["name"], batch["model"]) == ("embedding", "embed", MODEL)
    assert batch["prompt"] == ["how are embeddings priced?", "by their prompt tokens"]
    assert batch["settings"] == {"dimensions": 64} and batch["outputs"] == {"vectors": 2, "dimensions": 64}
    assert batch["usage"]["prompt_tokens"] == 6 and batch["cost"] == pytest.approx(6 * PER_TOKEN)
    assert batch["price_version"].startswith("genai-prices-")
    # no usage came back: the server counts the tokens of the text and prices them
    assert (query["prompt"], query["model"]) == ("manual pages", MODEL)
    assert query["outputs"] == {"vectors": 1, "dimensions": 16} and query["usage"]["counted"] is True
    assert query["cost"] == pytest.approx(query["usage"]["prompt_tokens"] * PER_TOKEN)
    assert {item["id"] for item in listed.json()["items"]} == {batch["id"], query["id"]}
    assert stored["llm_calls"] == 0


def test_an_otlp_embeddings_span_without_a_provider_is_priced_by_its_model(live_server, client):
    def build(tracer) -> str:
        attributes = {
            "openinference.span.kind": "EMBEDDING",
            "embedding.model_name": MODEL,
            "embedding.embeddings.0.embedding.text": "an embeddings span names no provider",
            "llm.token_count.prompt": 900,
            "llm.token_count.total": 900,
        }
        with tracer.start_as_current_span("CreateEmbeddings", attributes=attributes) as span:
            return format(span.get_span_context().trace_id, "032x")

    trace_id = export_with_sdk(live_server, build, {"service.name": "embeddings-no-provider"})
    (activity,) = client.get(f"/api/v1/sessions/{trace_id}").json()["activities"]
    assert (activity["activity_type"], activity["model"], activity["provider"]) == ("embedding", MODEL, None)
    assert activity["usage"]["prompt_tokens"] == 900
    assert activity["cost"] == pytest.approx(900 * PER_TOKEN)
    assert activity["price_version"].startswith("genai-prices-")
