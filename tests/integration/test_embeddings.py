"""Embeddings calls are `embedding` activities: priced from their prompt tokens at ingest, counted in the
usage roll-ups by model (and taken out again when deleted), found by text search, never replayed; from the
native API, from OTLP spans (OpenInference and GenAI) and from the real OpenAI client against the local fake
provider, LangChain's `OpenAIEmbeddings` over such a client included."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

import promptwatch
from promptwatch import PromptWatch
from tests.integration.test_otlp import export_with_sdk, json_span, otlp_json, post
from tests.support.fake_openai import FakeOpenAI, fake_openai  # noqa: F401 - the fixture
from tests.support.payloads import BASE_TIME, iso, llm, session, uid
from tests.support.stored_sessions import stored_session

MODEL = "text-embedding-3-small"
PER_TOKEN = 0.02 / 1_000_000  # its price in genai-prices


def embedding(aid: str, sid: str, **fields) -> dict:
    """A closed embeddings call of two texts, as the native API takes it."""
    return {
        "id": aid,
        "session_id": sid,
        "activity_type": "embedding",
        "start_time": iso(BASE_TIME),
        "end_time": iso(BASE_TIME + timedelta(milliseconds=300)),
        "model": MODEL,
        "provider": "openai",
        "prompt": ["How are embeddings priced?", "Vectors stay in the app."],
        "settings": {"dimensions": 256},
        "outputs": {"vectors": 2, "dimensions": 256},
        **fields,
    }


def ingest(client, activities: list[dict], sessions: list[dict] = ()) -> list[dict]:
    response = client.post("/api/v1/ingest", json={"sessions": list(sessions), "activities": activities})
    assert response.status_code == 200, response.text
    return response.json()["activities"]


def by_model(client) -> dict[str, dict]:
    body = client.get("/api/v1/metrics/usage", params={"group_by": "model"}).json()
    return {group["group"]: group for group in body["groups"]}


def test_a_native_embedding_is_priced_counted_by_model_and_found_by_search(live_server):
    tenant = live_server.new_tenant("embeddings-native")
    sid, batch, single = uid("s-"), uid("a-"), uid("a-")
    usage = {"prompt_tokens": 1000, "total_tokens": 1000}
    calls = [
        embedding(batch, sid, usage=usage),
        embedding(single, sid, prompt="alpha beta gamma", outputs={"vectors": 1, "dimensions": 256}),
        llm(uid("a-"), sid, model="gpt-4o-mini", usage={"prompt_tokens": 1000, "completion_tokens": 100}),
    ]
    with live_server.client(tenant.api_key) as client:
        assert [a["status"] for a in ingest(client, calls, [session(sid)])] == ["stored"] * 3
        stored = client.get(f"/api/v1/sessions/{sid}").json()
        found = {a["id"]: a for a in stored["activities"]}
        assert found[batch]["prompt"] == ["How are embeddings priced?", "Vectors stay in the app."]
        assert found[batch]["outputs"] == {"vectors": 2, "dimensions": 256}
        assert found[batch]["cost"] == pytest.approx(1000 * PER_TOKEN)
        assert found[batch]["price_version"].startswith("genai-prices-")
        assert found[batch]["usage"]["completion_tokens"] is None
        counted = found[single]["usage"]  # no usage sent: counted from the text, as for an LLM call
        assert counted["counted"] is True and counted["prompt_tokens"] == counted["total_tokens"] == 3
        assert found[single]["cost"] == pytest.approx(3 * PER_TOKEN)
        assert stored["llm_calls"] == 1 and stored["activity_count"] == 3
        assert stored["total_tokens"] == 1000 + 3 + 1100
        assert stored["cost"] == pytest.approx(sum(a["cost"] for a in stored["activities"]))

        models = by_model(client)
        assert (models[MODEL]["calls"], models[MODEL]["total_tokens"]) == (2, 1003)
        assert models[MODEL]["cost"] == pytest.approx(1003 * PER_TOKEN)
        assert models["gpt-4o-mini"]["calls"] == 1
        found_ids = {item["id"] for item in client.get("/api/v1/sessions", params={"q": "priced"}).json()["items"]}
        assert sid in found_ids
        listed = client.get("/api/v1/activities", params={"activity_type": "embedding"}).json()["items"]
        assert {a["id"] for a in listed} == {batch, single}

        assert client.delete(f"/api/v1/activities/{batch}").is_success
        assert (by_model(client)[MODEL]["calls"], by_model(client)[MODEL]["total_tokens"]) == (1, 3)


def test_an_embedding_prompt_is_a_text_or_a_list_of_texts(client):
    sid = uid("s-")
    for item, field in (
        (embedding(uid("a-"), sid, prompt=[{"role": "user", "text": "hi"}]), "prompt.0"),
        (embedding(uid("a-"), sid, prompt=["one", 2]), "prompt.1"),
        (llm(uid("a-"), sid, prompt=["texts are for embeddings"]), "prompt.0"),
    ):
        (answer,) = ingest(client, [item])
        assert answer["status"] == "invalid", answer
        assert [e["field"] for e in answer["errors"]] == [field], answer
    without = {k: v for k, v in embedding(uid("a-"), sid).items() if k != "prompt"}
    (answer,) = ingest(client, [without])
    assert answer["status"] == "invalid" and "prompt is required" in answer["errors"][0]["message"], answer


def test_an_embedding_is_not_replayed(client):
    sid, aid = uid("s-"), uid("a-")
    assert ingest(client, [embedding(aid, sid)])[0]["status"] == "stored"
    answer = client.post(f"/api/v1/activities/{aid}/replay", json={})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert "llm-prompt" in answer.json()["detail"]


def test_otlp_embeddings_spans_are_embeddings_with_tokens_and_cost(live_server, client):
    trace_id = uid() + uid()
    genai = {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": MODEL,
        "gen_ai.usage.input_tokens": 500,
    }
    assert (
        post(client, otlp_json([json_span(trace_id, uid(), name=f"embeddings {MODEL}", attributes=genai)])).json() == {}
    )
    (activity,) = client.get(f"/api/v1/sessions/{trace_id}").json()["activities"]
    assert (activity["activity_type"], activity["model"], activity["usage"]["prompt_tokens"]) == (
        "embedding",
        MODEL,
        500,
    )
    assert activity["cost"] == pytest.approx(500 * PER_TOKEN)

    def build(tracer) -> str:
        attributes = {
            "openinference.span.kind": "EMBEDDING",
            "embedding.model_name": MODEL,
            "llm.token_count.prompt": 7,
        }
        for index, text in enumerate(["spans carry embeddings", "of two texts"]):
            attributes[f"embedding.embeddings.{index}.embedding.text"] = text
            attributes[f"embedding.embeddings.{index}.embedding.vector"] = [0.5, -0.5, 0.25]
        with tracer.start_as_current_span("CreateEmbeddings", attributes=attributes) as span:
            return format(span.get_span_context().trace_id, "032x")

    trace_id = export_with_sdk(live_server, build, {"service.name": "embeddings-otlp"})
    (activity,) = client.get(f"/api/v1/sessions/{trace_id}").json()["activities"]
    assert activity["activity_type"] == "embedding" and activity["prompt"] == ["spans carry embeddings", "of two texts"]
    assert activity["outputs"] == {"vectors": 2, "dimensions": 3} and activity["usage"]["prompt_tokens"] == 7
    assert "attributes" not in activity  # the vectors are not kept


def test_the_openai_client_records_its_embeddings_calls_with_tokens_and_cost(
    live_server,
    sdk_to,
    fake_openai: FakeOpenAI,  # noqa: F811
):
    openai = pytest.importorskip("openai")
    from langchain_openai import OpenAIEmbeddings

    from promptwatch.integrations.openai import instrument_openai

    tenant = live_server.new_tenant("embeddings-sdk")
    sdk_to(live_server, tenant.api_key)
    options = {"api_key": "sk-test", "base_url": fake_openai.base_url, "max_retries": 0}
    client = instrument_openai(openai.OpenAI(**options))
    async_client = instrument_openai(openai.AsyncOpenAI(**options))
    langchain = OpenAIEmbeddings(
        model=MODEL,
        api_key="sk-test",
        client=client.embeddings,
        async_client=instrument_openai(openai.AsyncOpenAI(**options)).embeddings,
        check_embedding_ctx_length=False,
    )
    session_id = uid("emb-")
    with PromptWatch(session_id=session_id):
        batch = client.embeddings.create(model=MODEL, input=["first text here", "second"], dimensions=4)
        assert [len(item.embedding) for item in batch.data] == [4, 4]
        answer = asyncio.run(
            async_client.embeddings.create(model=MODEL, input="one async text", encoding_format="base64")
        )
        assert isinstance(answer.data[0].embedding, str)
        with pytest.raises(openai.BadRequestError):
            client.embeddings.create(model=MODEL, input="FAIL on purpose")
        client.embeddings.create(model=MODEL, input=[[101, 2023, 102]])
        assert len(langchain.embed_documents(["langchain text one", "two"])) == 2
        assert len(asyncio.run(langchain.aembed_documents(["async langchain text"]))) == 1
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as api:
        stored = stored_session(api, session_id, 6)
    calls = sorted(stored["activities"], key=lambda a: a["start_time"])
    assert {(a["activity_type"], a["name"], a["model"], a["provider"]) for a in calls} == {
        ("embedding", "openai.embeddings", MODEL, "openai")
    }
    listed, base64, failed, tokens, chained, chained_async = calls
    assert listed["prompt"] == ["first text here", "second"] and listed["settings"] == {"dimensions": 4}
    assert listed["outputs"] == {"vectors": 2, "dimensions": 4} and listed["usage"]["prompt_tokens"] == 4
    assert listed["cost"] == pytest.approx(4 * PER_TOKEN)
    assert base64["prompt"] == "one async text" and base64["settings"] == {"encoding_format": "base64"}
    assert base64["outputs"] == {"vectors": 1, "dimensions": 8} and base64["usage"]["total_tokens"] == 3
    assert "BadRequestError" in failed["error"] and failed["cost"] is None and "outputs" not in failed
    assert tokens["prompt"] == "" and tokens["usage"]["prompt_tokens"] == 3  # token ids are no text
    assert chained["prompt"] == ["langchain text one", "two"] and chained["outputs"]["vectors"] == 2
    assert chained_async["prompt"] == ["async langchain text"] and chained_async["usage"]["prompt_tokens"] == 3
    assert stored["llm_calls"] == 0 and stored["total_tokens"] == 4 + 3 + 3 + 4 + 3
    assert stored["cost"] == pytest.approx((4 + 3 + 3 + 4 + 3) * PER_TOKEN)


def test_an_embedding_stored_without_a_price_is_priced_once_its_model_has_one(live_server):
    tenant = live_server.new_tenant("embedding-unpriced")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    sid = uid("s-")
    with live_server.client(admin_key) as client:
        call = embedding(uid("a-"), sid, model="house-embedder", usage={"prompt_tokens": 1_000_000})
        assert client.post("/api/v1/ingest", json={"activities": [call]}).json()["rejected"] == 0
        assert client.get("/api/v1/prices/unpriced").json()["items"] == [{"model": "house-embedder", "calls": 1}]
        past = "2020-01-01T00:00:00Z"
        override = {"model": "house-embedder", "input_per_mtok": 0.5, "output_per_mtok": 0, "effective_from": past}
        assert client.post("/api/v1/prices/overrides", json=override).status_code == 201
        priced = client.post("/api/v1/prices/unpriced/price").json()
        assert priced == {"priced_calls": 1, "cost": 0.5, "unpriced_calls": 0}
        assert client.get(f"/api/v1/sessions/{sid}").json()["cost"] == 0.5
        assert client.get("/api/v1/metrics/usage").json()["totals"]["unpriced_calls"] == 0
