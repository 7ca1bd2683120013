"""The UI under attack and under the privacy clauses: hostile markup in customer content is shown as text and
never runs (strict CSP, no HTML rendering), the page never contacts another origin (P1, P5), and no cookie
exists at any point (P13). The `ui` fixture also checks every test for cookies and foreign requests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.e2e.scenario import seed
from tests.support.payloads import iso, uid

pytestmark = pytest.mark.e2e

SCRIPT = "<script>window.__pwned=1</script>"
IMAGE = '<img src=x onerror="window.__pwned=1">'
FOREIGN = '<img src="https://evil.example/track.png"><iframe src="https://evil.example/"></iframe>'
SVG = "<svg/onload=window.__pwned=1>"
SCREENS = [
    ("Sessions", "tr.row"),
    ("Costs & usage", ".metric"),
    ("Prompt templates", "h1:has-text('Prompt templates')"),
    ("Settings", "table[aria-label='API keys']"),
]


def hostile_session(now: datetime) -> tuple[str, dict]:
    sid = uid("xss-")
    start = now - timedelta(minutes=5)
    activity = {"session_id": sid, "start_time": iso(start), "end_time": iso(start + timedelta(seconds=1))}
    payload = {
        "sessions": [
            {
                "id": sid,
                "session_name": IMAGE,
                "tracking_project": "<b>proj</b>",
                "tracking_tenant": SVG,
                "start_time": iso(start),
                "tags": [SCRIPT],
                "metadata": {IMAGE: SCRIPT},
            }
        ],
        "activities": [
            {
                **activity,
                "id": "a-llm",
                "activity_type": "llm-prompt",
                "name": SCRIPT,
                "prompt": f"{SCRIPT} {FOREIGN}",
                "generated": f"{IMAGE} <b>bold</b>",
                "model": "gpt-4o-mini",
                "prompt_template": {"template_name": SVG, "template_version": "1", "template": SCRIPT},
                "prompt_input_values": {IMAGE: FOREIGN},
                "error": IMAGE,
            },
            {
                **activity,
                "id": "a-chat",
                "activity_type": "llm-prompt",
                "prompt": [{"role": "<i>user</i>", "text": IMAGE}, {"role": "system", "text": FOREIGN}],
                "generated": SCRIPT,
                "model": "gpt-4o-mini",
            },
            {
                **activity,
                "id": "a-docs",
                "activity_type": "retrieved-docs",
                "documents": [{"id": SVG, "text": FOREIGN, "source": IMAGE, "metadata": {"x": SCRIPT}}],
                "scores": [0.5],
            },
            {**activity, "id": "a-tool", "activity_type": "action", "tool_type": SVG, "input": IMAGE, "output": SCRIPT},
        ],
    }
    return sid, payload


def assert_nothing_ran(page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    injected = page.evaluate("document.querySelectorAll('#app img, #app iframe, #app svg, #app b, #app i').length")
    assert injected == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 1  # the app's own module


def test_hostile_markup_is_shown_as_text_and_never_runs(ui, tenant):
    sid, payload = hostile_session(datetime.now(timezone.utc))
    with ui.server.client(tenant.api_key) as client:
        assert client.post("/api/v1/ingest", json=payload).json()["rejected"] == 0
    page = ui.page
    ui.sign_in(tenant)
    row = page.locator("tr.row")
    expect(row).to_have_count(1)
    assert row.locator(".name a").inner_text() == IMAGE
    assert "<b>proj</b>" in row.inner_text() and SVG in row.inner_text()
    assert_nothing_ran(page)

    row.press("Enter")
    page.wait_for_selector("[role=treeitem]")
    assert page.locator("h1").first.inner_text().startswith(IMAGE)
    for item in page.locator("[role=treeitem]").all():
        item.click()
        page.wait_for_selector(".activity")
        assert_nothing_ran(page)
    page.click("[role=treeitem][data-id='a-llm']")
    detail = page.locator(".detail")
    assert detail.locator(".block:has(h4:text-is('Prompt')) pre").inner_text() == f"{SCRIPT} {FOREIGN}"
    assert detail.locator(".block.bad pre").inner_text() == IMAGE
    assert detail.locator(".block.output pre").inner_text() == f"{IMAGE} <b>bold</b>"
    page.click("[role=treeitem][data-id='a-docs']")
    assert detail.locator(".documents pre.text").first.inner_text() == FOREIGN

    for link, ready in SCREENS[1:3]:
        ui.go(link, ready)
        page.wait_for_load_state("networkidle")
        assert_nothing_ran(page)
    ui.go("Prompt templates", f"td:text-is('{SVG}')")


def test_p1_p5_the_page_never_requests_another_origin(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        seed(client)
        sid, payload = hostile_session(datetime.now(timezone.utc))
        client.post("/api/v1/ingest", json=payload)
    ui.sign_in(tenant)
    for link, ready in SCREENS:
        ui.go(link, ready)
        ui.page.wait_for_load_state("networkidle")
    ui.page.goto(f"{ui.origin}/ui/sessions/{sid}")
    ui.page.wait_for_selector("[role=treeitem]")
    ui.page.wait_for_load_state("networkidle")
    requested = {r.url for r in ui.responses}
    assert requested and all(url.startswith(ui.origin + "/") for url in requested)
    assert ui.foreign == []
    page_response = next(r for r in ui.responses if r.url.endswith("/ui/sessions/" + sid))
    policy = page_response.all_headers()["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "connect-src 'self'" in policy


def test_p13_no_cookie_at_any_point(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        seed(client)
    ui.page.goto(ui.origin + "/")
    ui.assert_no_cookies()
    ui.sign_in(tenant)
    ui.assert_no_cookies()
    for link, ready in SCREENS:
        ui.go(link, ready)
        ui.assert_no_cookies()
    ui.page.get_by_role("button", name="Sign out").click()
    ui.page.wait_for_selector("input[name=email]")
    ui.assert_no_cookies()
    assert ui.responses and not [r.url for r in ui.responses if "set-cookie" in r.all_headers()]
    assert ui.page.evaluate("Object.keys(localStorage).length") == 0
