"""The web UI in a real Chromium: an embeddings call in the session tree has its own label, and its detail
shows the model, each text it embedded, its vectors and dimensions, tokens and cost, and no replay."""

from __future__ import annotations

import pytest

from tests.integration.test_embeddings import MODEL, embedding
from tests.support.payloads import uid

pytestmark = pytest.mark.e2e


def test_an_embedding_shows_its_texts_vectors_tokens_and_cost_and_cannot_be_replayed(ui, tenant):
    sid, aid = uid("s-"), uid("a-")
    item = embedding(aid, sid, usage={"prompt_tokens": 1_000_000, "total_tokens": 1_000_000})
    with ui.server.client(tenant.api_key) as client:
        assert client.post("/api/v1/ingest", json={"activities": [item]}).json()["stored"] == 1
    ui.sign_in(tenant)
    ui.open(f"/ui/sessions/{sid}?activity={aid}", ".detail [aria-label='Embedded texts']")
    assert ui.page.locator(".tree-row .type").inner_text().lower() == "embedding"
    detail = ui.page.locator(".detail")
    assert detail.locator(".activity-head .type").inner_text().lower() == "embedding"
    facts = dict(
        zip(
            detail.locator("dl.facts dt").evaluate_all("found => found.map((dt) => dt.textContent)"),
            detail.locator("dl.facts dd").all_inner_texts(),
        )
    )
    assert (facts["Model"], facts["Provider"]) == (MODEL, "openai")
    assert facts["Vectors"] == "2 × 256 dimensions"
    assert (facts["Tokens"], facts["Cost"]) == ("1,000,000", "$0.020")
    texts = detail.locator("[aria-label='Embedded texts']")
    assert texts.locator("h4").text_content() == "Input (2 texts)"
    assert texts.locator("li").all_inner_texts() == ["How are embeddings priced?", "Vectors stay in the app."]
    assert '"dimensions": 256' in detail.inner_text()  # its settings
    assert detail.locator("details.replay").count() == 0
