"""The web UI in a real Chromium: an LLM call shows the tool calls its reply made under its text, and its
messages' tool calls, the call a tool message answers, and their images with the image data cut short."""

from __future__ import annotations

import pytest

from tests.support.payloads import llm, uid

pytestmark = pytest.mark.e2e

PIXELS = "iVBORw0KGgo" + "A" * 5000
IMAGE = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXELS}"}}
CALL = {"id": "call_7", "name": "forecast_lookup", "arguments": '{"city": "Brno"}'}


def test_an_llm_call_shows_its_tool_calls_under_its_text_and_its_messages_parts(ui, tenant):
    sid, aid = uid("s-"), uid("a-")
    prompt = [
        {"role": "user", "content": [{"type": "text", "text": "Weather where this was taken?"}, IMAGE]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_6", "type": "function", "function": {"name": "place_of", "arguments": "{}"}}],
        },
        {"role": "tool", "text": "Brno", "tool_call_id": "call_6"},
    ]
    item = llm(aid, sid, prompt=prompt, generated="Let me look that up.", outputs={"tool_calls": [CALL]})
    with ui.server.client(tenant.api_key) as client:
        assert client.post("/api/v1/ingest", json={"activities": [item]}).json()["stored"] == 1
    ui.sign_in(tenant)
    ui.open(f"/ui/sessions/{sid}?activity={aid}", ".detail [aria-label='Tool calls']")
    detail = ui.page.locator(".detail")
    headings = detail.locator(".block h4").evaluate_all("found => found.map((h) => h.textContent)")
    assert headings.index("Tool calls (1)") == headings.index("Generated") + 1
    calls = detail.locator("[aria-label='Tool calls']")
    assert "forecast_lookup" in calls.inner_text() and '{"city": "Brno"}' in calls.inner_text()
    messages = detail.locator(".messages > li")
    assert messages.locator("> .role").all_inner_texts() == ["USER", "ASSISTANT", "TOOL"]
    parts = messages.nth(0).locator("[aria-label='Content parts']").inner_text()
    assert "image_url" in parts and "characters)" in parts and PIXELS not in parts
    assert "place_of" in messages.nth(1).inner_text()
    assert "answers call_6" in messages.nth(2).inner_text()
