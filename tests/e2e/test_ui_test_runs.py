"""Unit-test runs and datasets in a real Chromium: a run's page says why each case failed (its expected outputs
with their labels, the evaluator's reasoning, the error, the score it had to reach; a long text in part with
"Show all"), and "Add to dataset" starts from the call's annotation."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.integration.test_prompt_cache_and_tests import result, run
from tests.support.payloads import llm, session, uid

pytestmark = pytest.mark.e2e

LONG_ANSWER = "The weather in Prague. " * 1200  # longer than the 20,000 characters a text shows at first


def test_a_run_page_shows_what_was_expected_and_why_a_case_failed(ui, tenant):
    name, run_id = f"unit {uid()}", uid()
    mismatch = result(1, False, 0.0)
    mismatch.update(reasoning="Type mismatch (expected str, got dict)", generated_result={"text": "Hi"})
    mismatch["test_case"]["outputs"] = [{"label": 1, "value": "Hello Ann"}, {"label": 0, "value": "Go away"}]
    too_far = result(2, False, 0.4)
    too_far.update(
        generated_result=LONG_ANSWER,
        evaluation_metadata={
            "positive_score_threshold": 0.9,
            "negative_score_threshold": 0.1,
            "closest_reference_example": {"label": 1, "value": "Sunny"},
        },
    )
    broken = result(3, False, 0.0)
    broken.update(error_description="RuntimeError: the model is down", generated_result=None)
    with ui.server.client(tenant.api_key) as client:
        client.post(f"/tests/{quote(name)}/runs", json=run(run_id, name, total_processed=3, failed=3))
        client.post(f"/tests/{quote(name)}/runs/{run_id}/result-details", json=[mismatch, too_far, broken])
    ui.sign_in(tenant, f"/ui/tests/runs/{run_id}")
    page = ui.page
    rows = page.locator("table[aria-label='Results'] tbody tr")
    expect(rows).to_have_count(3)
    expected = rows.nth(0).locator("td[data-column=expected]")
    expect(expected.locator("[data-label='1']")).to_contain_text("good")
    expect(expected.locator("[data-label='1'] pre")).to_have_text("Hello Ann")
    expect(expected.locator("[data-label='0']")).to_contain_text("bad")
    expect(expected.locator("[data-label='0'] pre")).to_have_text("Go away")
    expect(rows.nth(0).locator("td[data-column=why]")).to_contain_text("Type mismatch (expected str, got dict)")
    expect(rows.nth(1).locator("td[data-column=why]")).to_contain_text("passes at 90 % similarity")
    generated = rows.nth(1).locator("td[data-column=generated]")
    assert len(generated.locator("pre").inner_text()) == 20_000
    generated.get_by_role("button", name="Show all").click()
    expect(generated.get_by_role("button", name="Show all")).to_have_count(0)
    assert generated.locator("pre").inner_text().strip() == LONG_ANSWER.strip()
    expect(rows.nth(2).locator("td[data-column=why]")).to_contain_text("RuntimeError: the model is down")


def test_add_to_dataset_starts_from_the_calls_annotation(ui, tenant):
    sid, aid, name = uid("s-"), uid("a-"), f"golden {uid()}"
    call = llm(aid, sid, prompt="Greet Ann", generated="Hi.", prompt_input_values={"person": "Ann"})
    with ui.server.client(tenant.api_key) as client:
        assert client.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": [call]}).status_code == 200
        assert client.post("/api/v1/datasets", json={"name": name}).status_code == 201
    ui.sign_in(tenant, f"/ui/sessions/{sid}?activity={aid}")
    page = ui.page
    page.get_by_role("button", name="Thumbs down").click()
    page.fill("form[aria-label=Annotation] textarea[name=notes]", "too terse")
    page.click("form[aria-label=Annotation] button[type=submit]")
    expect(page.locator("form[aria-label=Annotation] [role=status]")).to_have_text("Saved")

    page.get_by_role("button", name="Add to dataset").click()
    picker = page.get_by_role("dialog", name="Add to dataset")
    expect(picker.locator("select[name=label]")).to_have_value("0")
    picker.locator("select[name=dataset]").select_option(name)
    picker.locator("button[type=submit]").click()
    picker.get_by_role("link", name=name).click()
    row = page.locator("table[aria-label=Items] tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text("bad")
    expect(row.locator("td").nth(3)).to_contain_text("too terse")
