"""The sessions list and a session's page show how many of its activities failed beside the session's own
status, the list filters by it, and a session none of whose activities has a cost reads "–", not "$0"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.payloads import chain, llm, session, uid

pytestmark = pytest.mark.e2e

USAGE = {"prompt_tokens": 1000, "completion_tokens": 200}
STATUS, COST = 9, 8  # the list's columns


def store(ui, tenant, sessions: list[dict], activities: list[dict]) -> None:
    with ui.server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/ingest", json={"sessions": sessions, "activities": activities})
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text


def test_failed_calls_show_beside_the_status_and_filter_the_list(ui, tenant):
    project = uid("proj-")
    went_on, failed, clean = uid("went-on-"), uid("failed-"), uid("clean-")
    store(
        ui,
        tenant,
        [
            session(went_on, tracking_project=project),
            session(failed, tracking_project=project, is_error=True),
            session(clean, tracking_project=project),
        ],
        [
            llm(uid("a-"), went_on, error="RateLimitError", generated=None),
            chain(uid("c-"), went_on, error="ValueError: no answer"),
            llm(uid("a-"), went_on, usage=USAGE),
            llm(uid("a-"), failed, error="APIConnectionError", generated=None),
            llm(uid("a-"), clean, usage=USAGE),
        ],
    )
    ui.sign_in(tenant, f"/ui/sessions?project={project}")
    page = ui.page
    status = {sid: page.locator(f"tr[data-id='{sid}'] td").nth(STATUS) for sid in (went_on, failed, clean)}
    expect(status[went_on]).to_have_text("ok 2 failed calls")
    expect(status[failed]).to_have_text("error 1 failed call")
    expect(status[clean]).to_have_text("ok")
    badge = status[went_on].locator(".badge.warn")
    assert "2 of this session's activities ended with an error" in badge.get_attribute("title")

    page.get_by_label("Failed calls").select_option("true")
    page.click("button:text('Apply')")
    expect(page).to_have_url(re.compile(rf"/ui/sessions\?project={project}&has_failed_activities=true$"))
    expect(page.locator("tr.row")).to_have_count(2)
    asked = [r.url for r in ui.responses if "/api/v1/sessions?" in r.url]
    assert "has_failed_activities=true" in asked[-1], asked
    page.reload()
    expect(page.get_by_label("Failed calls")).to_have_value("true")
    page.get_by_label("Failed calls").select_option("false")
    page.click("button:text('Apply')")
    expect(page.locator("tr.row")).to_have_count(1)
    expect(page.locator(f"tr[data-id='{clean}']")).to_be_visible()

    page.goto(f"{ui.origin}/ui/sessions/{went_on}")
    expect(page.locator("h1 .badge.warn")).to_have_text("2 failed calls")
    page.goto(f"{ui.origin}/ui/sessions/{clean}")
    expect(page.locator("header dl.facts")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_count(0)


def test_a_session_whose_only_call_was_refused_has_no_known_cost(ui, tenant):
    """The provider refused the call: no tokens, no cost. Its session's cost is unknown ("–"); a call that used no
    tokens costs a known "$0"."""
    project = uid("proj-")
    refused, zero = uid("refused-"), uid("zero-")
    store(
        ui,
        tenant,
        [session(sid, tracking_project=project) for sid in (refused, zero)],
        [
            llm(uid("a-"), refused, model="gpt-4o", generated=None, error="429 rate limited"),
            llm(uid("a-"), zero, model="gpt-4o", usage={"prompt_tokens": 0, "completion_tokens": 0}),
        ],
    )
    ui.sign_in(tenant, f"/ui/sessions?project={project}")
    page = ui.page
    expect(page.locator(f"tr[data-id='{refused}'] td").nth(COST)).to_have_text("–")
    expect(page.locator(f"tr[data-id='{zero}'] td").nth(COST)).to_have_text("$0")
    for sid, shown in ((refused, "–"), (zero, "$0")):
        page.goto(f"{ui.origin}/ui/sessions/{sid}")
        summary = page.locator("header dl.facts > div", has=page.locator("dt", has_text=re.compile("^Cost$")))
        expect(summary.locator("dd")).to_have_text(shown)
