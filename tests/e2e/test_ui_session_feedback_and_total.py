"""The sessions list filters by the feedback given to a session's calls, and its heading says how many sessions
the filters match ("10,000+ sessions" beyond the API's cap)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.payloads import llm, session, uid

pytestmark = pytest.mark.e2e


def store(ui, tenant, sessions: list[dict], activities: list[dict] = ()) -> None:
    with ui.server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/ingest", json={"sessions": sessions, "activities": list(activities)})
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text


def test_the_list_filters_by_feedback_and_counts_what_it_shows(ui, tenant):
    project = uid("proj-")
    good, bad, plain = uid("good-"), uid("bad-"), uid("plain-")
    store(
        ui,
        tenant,
        [session(sid, tracking_project=project) for sid in (good, bad, plain)],
        [llm(uid("a-"), good, feedback_label=1), llm(uid("a-"), bad, feedback_label=0), llm(uid("a-"), plain)],
    )
    ui.sign_in(tenant, f"/ui/sessions?project={project}")
    page = ui.page
    expect(page.locator("tr.row")).to_have_count(3)
    expect(page.locator("h1 .total")).to_have_text("3 sessions")

    page.get_by_label("Feedback").select_option("down")
    page.click("button:text('Apply')")
    expect(page).to_have_url(re.compile(rf"/ui/sessions\?project={project}&feedback=down$"))
    expect(page.locator("tr.row")).to_have_count(1)
    expect(page.locator(f"tr[data-id='{bad}']")).to_be_visible()
    expect(page.locator("h1 .total")).to_have_text("1 session")
    asked = [r.url for r in ui.responses if "/api/v1/sessions?" in r.url]
    assert "feedback=down" in asked[-1] and "include_total=true" in asked[-1], asked

    page.reload()
    expect(page.get_by_label("Feedback")).to_have_value("down")
    page.get_by_label("Feedback").select_option("any")
    page.click("button:text('Apply')")
    expect(page.locator("tr.row")).to_have_count(2)
    expect(page.locator("h1 .total")).to_have_text("2 sessions")


def test_a_count_beyond_the_cap_reads_as_at_least_the_cap(ui, tenant):
    for first in range(0, 10_001, 1000):
        store(ui, tenant, [session(f"s-{n}") for n in range(first, min(first + 1000, 10_001))])
    ui.sign_in(tenant, "/ui/sessions")
    expect(ui.page.locator("tr.row")).to_have_count(50)
    expect(ui.page.locator("h1 .total")).to_have_text("10,000+ sessions")
    ui.page.click("button:text('Load more')")
    expect(ui.page.locator("tr.row")).to_have_count(100)
    expect(ui.page.locator("h1 .total")).to_have_text("10,000+ sessions")
    more = [r.url for r in ui.responses if "/api/v1/sessions?" in r.url and "cursor=" in r.url]
    assert more and all("include_total" not in url for url in more), more
