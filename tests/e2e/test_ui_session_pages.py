"""A session larger than one page of activities in the web UI: the first page is on the screen at once, the
rest arrives as the reader scrolls, asks for it ("Show more", "Show all") or walks past the last row with the
arrow keys, or when the address names an activity not read yet; the tree stays right when a parent arrives
after its child, and the keyboard focus is never lost."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.e2e.scenario import ingest
from tests.support.payloads import iso, uid

pytestmark = pytest.mark.e2e

STEPS = 757  # with the agent, the late parent and its early child: 760 activities, more than 200 + 500
FIRST_PAGE, MORE_PAGE = 200, 500
ROWS = "[role=tree] [role=treeitem]"
IDS = "rows => rows.map(row => row.dataset.id)"


def big_session(client, steps: int = STEPS) -> dict:
    """An agent session: the agent's chain with `steps` LLM calls under it, and a chain that starts last (so it
    comes on the last page) whose only child started first of all (so it comes on the first)."""
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    sid = uid("agent-")

    def activity(kind: str, name: str, at: timedelta, **fields) -> dict:
        item = {"id": uid("a-"), "session_id": sid, "activity_type": kind, "name": name, "start_time": iso(start + at)}
        item["end_time"] = iso(start + at + timedelta(milliseconds=5))
        if kind == "llm-prompt":
            item.update(prompt=f"the prompt of {name}", generated=f"the answer of {name}", model="gpt-4o-mini")
        return {**item, **fields}

    agent = activity("chain-sequence", "agent", timedelta(0), sequence_type="agent")
    agent["end_time"] = iso(start + timedelta(seconds=30))
    steps = [
        activity("llm-prompt", f"step {n}", timedelta(milliseconds=10 * n), parent_activity_id=agent["id"])
        for n in range(1, steps + 1)
    ]
    late = activity("chain-sequence", "late parent", timedelta(seconds=20), parent_activity_id=agent["id"])
    early = activity("llm-prompt", "early child", timedelta(milliseconds=-1), parent_activity_id=late["id"])
    ingest(
        client,
        ({"id": sid, "session_name": "A long agent run", "start_time": iso(start)}, [agent, *steps, late, early]),
    )
    return {"id": sid, "agent": agent, "steps": steps, "late": late, "early": early}


def status(page) -> str:
    return page.locator(".more-activities [role=status]").inner_text().strip()


def test_a_large_session_shows_its_first_page_then_every_activity_once_in_its_tree(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        run = big_session(client, steps=1297)
    total = 1300  # pages of 200, then 500 by scrolling, 500 by "Show more", the last 100 by "Show all"
    ui.sign_in(tenant, f"/ui/sessions/{run['id']}")
    page = ui.page
    expect(page.locator(ROWS)).to_have_count(FIRST_PAGE)
    assert status(page) == f"200 of {total:,} activities shown"
    early = page.locator(f"{ROWS}[data-id='{run['early']['id']}']")
    expect(early).to_have_attribute("aria-level", "1")  # its parent is not read yet

    page.locator(".more-activities").scroll_into_view_if_needed()  # near the end: the next page comes by itself
    expect(page.locator(ROWS)).to_have_count(FIRST_PAGE + MORE_PAGE)
    assert status(page) == f"700 of {total:,} activities shown"
    page.get_by_role("button", name="Show 500 more").click()
    expect(page.locator(ROWS)).to_have_count(FIRST_PAGE + 2 * MORE_PAGE)
    expect(page.get_by_role("button", name="Show 100 more")).to_be_focused()  # the focus stays on the button
    page.get_by_role("button", name="Show all").click()
    expect(page.locator(ROWS)).to_have_count(total)
    expect(page.locator(".more-activities [role=status]")).to_have_text(f"All {total:,} activities shown")
    expect(page.get_by_role("button", name="Show all")).to_have_count(0)

    shown = page.eval_on_selector_all(ROWS, IDS)
    expected = [run["agent"]["id"], *(s["id"] for s in run["steps"]), run["late"]["id"], run["early"]["id"]]
    assert shown == expected, "every activity once, in start order, each under its parent"
    expect(early).to_have_attribute("aria-level", "3")  # agent → late parent → early child
    late = page.locator(f"{ROWS}[data-id='{run['late']['id']}']")
    expect(late).to_have_attribute("aria-expanded", "true")
    with ui.server.client(tenant.api_key) as client:  # what the whole detail has, the screen has
        whole = client.get(f"/api/v1/sessions/{run['id']}").json()
    assert sorted(a["id"] for a in whole["activities"]) == sorted(shown)

    early.click()
    page.locator(".detail h3:text-is('early child')").wait_for()
    assert "the answer of early child" in page.locator(".detail").inner_text()


def test_the_keyboard_reads_on_past_the_last_row_and_keeps_the_focus(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        run = big_session(client)
    page = ui.page
    page.set_viewport_size({"width": 900, "height": 800})  # the detail under the tree: scrolling reads nothing
    ui.sign_in(tenant, f"/ui/sessions/{run['id']}")
    expect(page.locator(ROWS)).to_have_count(FIRST_PAGE)
    page.locator(".more-activities").scroll_into_view_if_needed()
    last_read = run["steps"][FIRST_PAGE - 3]  # the early child, the agent, then steps 1..198
    page.locator(f"{ROWS}[data-id='{last_read['id']}']").click()
    page.wait_for_timeout(500)  # time enough for a page that scrolling would have read
    assert page.locator(ROWS).count() == FIRST_PAGE and status(page) == f"200 of {STEPS + 3} activities shown"
    page.keyboard.press("ArrowDown")  # past the last row read
    expect(page.locator(ROWS)).to_have_count(FIRST_PAGE + MORE_PAGE)
    first_unread = run["steps"][FIRST_PAGE - 2]
    expect(page.locator(f"{ROWS}[data-id='{first_unread['id']}']")).to_be_focused()
    expect(page.locator(f"{ROWS}[data-id='{first_unread['id']}']")).to_have_attribute("aria-selected", "true")
    assert f"activity={first_unread['id']}" in page.url

    # Tab from the tree reaches the buttons; with the last page in, they go and the focus goes to the first
    # activity shown since the key press, selected
    show_all = page.get_by_role("button", name="Show all")
    for _ in range(10):
        if page.evaluate("document.activeElement.textContent.trim()") == "Show all":
            break
        page.keyboard.press("Tab")
    expect(show_all).to_be_focused()
    expect(page.locator(".more-activities button").first).not_to_have_text("Loading…")
    held = set(page.eval_on_selector_all(ROWS, IDS))
    page.keyboard.press("Enter")
    expect(page.locator(ROWS)).to_have_count(STEPS + 3)
    first_new = next(s["id"] for s in run["steps"] if s["id"] not in held)
    expect(page.locator(f"{ROWS}[data-id='{first_new}']")).to_be_focused()
    expect(page.locator(f"{ROWS}[data-id='{first_new}']")).to_have_attribute("aria-selected", "true")


def test_an_address_naming_an_activity_on_a_later_page_reads_on_until_it_is_shown(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        run = big_session(client)
    ui.sign_in(tenant, f"/ui/sessions/{run['id']}?activity={run['late']['id']}")
    page = ui.page
    page.locator(".detail h3:text-is('late parent')").wait_for()
    row = page.locator(f"{ROWS}[data-id='{run['late']['id']}']")
    expect(row).to_have_attribute("aria-selected", "true")
    expect(page.locator(f"{ROWS}[data-id='{run['early']['id']}']")).to_have_attribute("aria-level", "3")
    # an address naming no activity of the session falls back to the first LLM call, once every page is read
    ui.open(f"/ui/sessions/{run['id']}?activity=nothing-like-it", ".detail h3")
    expect(page.locator(".detail h3")).to_have_text("early child")
