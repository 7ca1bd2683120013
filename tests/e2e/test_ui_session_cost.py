"""A session's cost in the list and in its detail: calls whose model has no price never read as free."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.payloads import llm, session, uid

pytestmark = pytest.mark.e2e

UNKNOWN_MODEL = "in-house-model-7b"
USAGE = {"prompt_tokens": 1000, "completion_tokens": 200}


def test_unpriced_calls_show_as_unknown_or_beside_the_known_cost(ui, tenant):
    project = uid("proj-")
    priced, mixed, unpriced = uid("priced-"), uid("mixed-"), uid("unpriced-")
    with ui.server.client(tenant.api_key) as client:
        answer = client.post(
            "/api/v1/ingest",
            json={
                "sessions": [session(sid, tracking_project=project) for sid in (priced, mixed, unpriced)],
                "activities": [
                    llm(uid("a-"), priced, usage=USAGE),
                    llm(uid("a-"), mixed, usage=USAGE),
                    llm(uid("a-"), mixed, model=UNKNOWN_MODEL, usage=USAGE),
                    llm(uid("a-"), unpriced, model=UNKNOWN_MODEL, usage=USAGE),
                ],
            },
        )
        assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text
    ui.sign_in(tenant, f"/ui/sessions?project={project}")
    page = ui.page
    cost = {sid: page.locator(f"tr[data-id='{sid}'] td").nth(8) for sid in (priced, mixed, unpriced)}
    expect(cost[priced]).to_have_text(re.compile(r"^\$0\.\d+$"))
    expect(cost[mixed]).to_have_text(re.compile(r"^\$0\.\d+ \+ 1 unpriced$"))
    expect(cost[unpriced]).to_have_text("–")
    for sid, shown in ((unpriced, "–"), (mixed, re.compile(r"^\$0\.\d+ \+ 1 unpriced$"))):
        page.goto(f"{ui.origin}/ui/sessions/{sid}")
        summary = page.locator("header dl.facts > div", has=page.locator("dt", has_text=re.compile("^Cost$")))
        expect(summary.locator("dd")).to_have_text(shown)
