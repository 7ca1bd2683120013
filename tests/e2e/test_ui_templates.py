"""The prompt templates screens in a real Chromium: the list from GET /api/v1/templates with labels and
usage, a template's versions with the API's per-version stats, the diff between two versions drawn as
added and removed lines, and a version's executions linking to their sessions."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.support.payloads import iso, uid

pytestmark = pytest.mark.e2e

OLD = "Hello {name}.\nHow can I help?"
NEW = "Hello {name}, welcome back!\nHow can I help?"


def greeting_call(text: str, n: int, start: datetime, error: str | None = None) -> tuple[dict, dict]:
    sid = uid("greet-")
    session = {"id": sid, "session_name": f"Greeting {n}", "tracking_project": "web", "start_time": iso(start)}
    activity = {
        "id": uid("llm-"),
        "session_id": sid,
        "activity_type": "llm-prompt",
        "start_time": iso(start),
        "end_time": iso(start + timedelta(seconds=0.5 + n / 10)),
        "prompt": text.format(name=f"user {n}"),
        "generated": f"Hi user {n}",
        "model": "gpt-4o-mini",
        "prompt_template": {
            "template_name": "greeting",
            "template_version": "1.0",
            "prompt_template": text,
            "prompt_input_params": ["name"],
            "format": "f-string",
        },
        "prompt_input_values": {"name": f"user {n}"},
        "usage": {"prompt_tokens": 10 + n, "completion_tokens": 4, "total_tokens": 14 + n},
        "error": error,
    }
    return session, activity


def store_greetings(client) -> list[dict]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    built = [
        greeting_call(OLD, 1, now - timedelta(hours=3)),
        greeting_call(OLD, 2, now - timedelta(hours=2), error="TimeoutError: provider too slow"),
        greeting_call(NEW, 3, now - timedelta(hours=1)),
    ]
    stored_out_of_order = [built[1][1], built[0][1], built[2][1]]  # the executions list orders by start time
    answer = client.post("/api/v1/ingest", json={"sessions": [s for s, _ in built], "activities": stored_out_of_order})
    assert answer.json()["rejected"] == 0, answer.text
    assert client.put(f"/api/v1/activities/{built[0][1]['id']}/annotation", json={"label": 1}).status_code == 200
    assert client.put(f"/api/v1/activities/{built[1][1]['id']}/annotation", json={"label": 0}).status_code == 200
    assert client.put("/api/v1/templates/greeting/labels/production", json={"version": "1.0.0"}).status_code == 200
    return [a for _, a in built]


def test_templates_list_versions_stats_diff_and_executions(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        calls = store_greetings(client)
        template = client.get("/api/v1/templates/greeting").json()
    versions = {v["version"]: v["stats"] for v in template["versions"]}
    assert list(versions) == ["1.0.0", "1.0.1"]
    assert versions["1.0.0"]["calls"] == 2 and versions["1.0.0"]["annotation_score"] == 0.5

    ui.sign_in(tenant)
    page = ui.page
    ui.go("Prompt templates", "table[aria-label='Prompt templates']")
    rows = page.locator("table[aria-label='Prompt templates'] tbody tr")
    row = rows.filter(has=page.locator("td.name", has_text=re.compile(r"^greeting$")))
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == "2" and "production → 1.0.0" in cells[2] and cells[3] == "3" and cells[4] == "1"

    row.locator("a:text-is('greeting')").click()
    expect(page).to_have_url(re.compile(r"/ui/templates/greeting$"))
    table = page.locator("table[aria-label='Versions']")
    first = table.locator("tr[data-version='1.0.0']")
    first.wait_for()
    texts = first.locator("td").all_inner_texts()
    assert "production" in texts[0]
    assert texts[4] == "2" and texts[5].startswith("1 (50 %)")
    assert texts[9].startswith("50 %") and "(2)" in texts[9]
    latest = table.locator("tr[data-version='1.0.1']")
    assert latest.get_attribute("aria-selected") == "true"  # the newest version is open first

    # the diff from the version before: removed and added lines, drawn as text
    diff = page.locator("pre.diff")
    diff.wait_for()
    assert diff.locator(".diff-del").all_inner_texts() == ["-Hello {name}."]
    assert diff.locator(".diff-add").all_inner_texts() == ["+Hello {name}, welcome back!"]
    assert diff.locator(".diff-same").all_inner_texts() == [" How can I help?"]
    assert "welcome back" in page.locator(".block:has(h4:text-is('Template text')) pre").inner_text()

    executions = page.locator("table[aria-label='Executions'] tbody tr")
    expect(executions).to_have_count(1)
    assert executions.first.get_attribute("data-activity") == calls[2]["id"]

    first.click()
    expect(page).to_have_url(re.compile(r"\?version=1\.0\.0"))
    expect(executions).to_have_count(2)
    assert [r.get_attribute("data-activity") for r in executions.all()] == [calls[1]["id"], calls[0]["id"]]
    assert "error" in executions.first.inner_text()
    # no earlier version: the diff compares with the next one, and another can be chosen
    expect(page.locator("pre.diff .diff-add")).to_have_text(["+Hello {name}."])

    executions.first.locator("a").click()
    expect(page).to_have_url(re.compile(re.escape(f"/ui/sessions/{calls[1]['session_id']}?activity={calls[1]['id']}")))
    page.locator(".detail [role=alert]:has-text('TimeoutError')").wait_for()


def test_an_unknown_template_shows_the_apis_message(ui, tenant):
    ui.sign_in(tenant, "/ui/templates/no-such-template")
    ui.page.wait_for_selector("[role=alert]:has-text('no template')")
