"""The native text cache reads a prompt with its English contractions written out, when it stores and when it
looks up: "What's ..." finds "What is ...", "can't" and "can not" find "cannot", while another name or a dropped
negation still misses. Entries embedded before, contractions and all, still match."""

from __future__ import annotations

from datetime import datetime, timezone

from model2vec import StaticModel

from promptwatch.server.services import cache_matching as m
from promptwatch.server.services.text_embedders import MODEL_DIR, StaticModelEmbedder
from promptwatch.server.store import prompt_cache as store
from promptwatch.server.store.engine import make_engine
from tests.support.payloads import uid


def store_text(client, namespace: str, text: str, answer: str) -> None:
    reply = client.post(f"/api/v1/cache/{namespace}/entries", json={"text": text, "result": answer})
    assert reply.status_code == 200, reply.text


def served(client, namespace: str, text: str, **options) -> str | None:
    reply = client.post(f"/api/v1/cache/{namespace}/lookup", json={"text": text, **options})
    assert reply.status_code == 200, reply.text
    return reply.json()["result"]


def test_a_contraction_of_a_stored_prompt_is_served_and_a_near_miss_is_not(live_server):
    tenant = live_server.new_tenant("contractions")
    namespace = f"support.{uid()}"
    with live_server.client(tenant.api_key) as client:
        store_text(client, namespace, "What is the distance from the Earth to the Sun?", "About 150 million km.")
        store_text(client, namespace, "I cannot log in", "Reset your password.")
        store_text(client, namespace, "What is PromptWatch?", "An LLM observability server.")
        store_text(client, namespace, "What's the capital of Chile?", "Santiago.")
        assert served(client, namespace, "What's the distance from the Earth to the Sun?") == "About 150 million km."
        assert served(client, namespace, "How far is the Sun from Earth?") == "About 150 million km."
        assert served(client, namespace, "What's the distance from the Earth to the Moon?") is None
        assert served(client, namespace, "I can't log in") == "Reset your password."
        assert served(client, namespace, "I can not log in") == "Reset your password."
        assert served(client, namespace, "I can’t log in") == "Reset your password."
        assert served(client, namespace, "I can log in") is None
        assert served(client, namespace, "What's PromptWatch?", min_similarity=0.3) == "An LLM observability server."
        assert served(client, namespace, "What’s PromptWatch?") == "An LLM observability server."
        assert served(client, namespace, "What is the capital of Chile?") == "Santiago."
        assert served(client, namespace, "What is the capital of Peru?") is None


def test_an_entry_embedded_with_its_contractions_still_matches(live_server):
    """An entry stored before prompts were read with their contractions written out keeps the vector of its
    text as written; it is not embedded again, and both its wordings still find it."""
    tenant = live_server.new_tenant("contractions-before")
    namespace = f"support.{uid()}"
    text = "What's PromptWatch?"
    vector = StaticModel.from_pretrained(str(MODEL_DIR), force_download=False).encode([text])[0].tolist()
    now = datetime.now(timezone.utc)
    row = {
        "account_id": tenant.account_id, "namespace": namespace, "id": uid(), "template_identity": "",
        "input_values": None, "prompt_text": text, "embedder": StaticModelEmbedder.name, "vector_count": 0,
        "dims": len(vector), "embedding": m.pack([vector]), "result": "An LLM observability server.", "hits": 0,
        "created_at": now, "updated_at": now,
    }  # fmt: skip
    engine = make_engine(live_server.database_url)
    with engine.begin() as conn:
        store.upsert_entry(conn, row)
    engine.dispose()
    with live_server.client(tenant.api_key) as client:
        assert served(client, namespace, "What is PromptWatch?") == "An LLM observability server."
        assert served(client, namespace, "What's PromptWatch?") == "An LLM observability server."
        assert served(client, namespace, "What's LangSmith?") is None
