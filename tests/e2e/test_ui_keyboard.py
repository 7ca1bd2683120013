"""The web UI with the keyboard alone: the sessions list is one Tab stop walked with the arrow keys, Enter opens
a session with the focus on its selected activity, and back on the list the focus is on that session's row;
Escape closes a confirmation or a dialog and the focus returns to the button that opened it; every Tab stop
of the main screens shows a focus ring, in the light and the dark theme."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.scenario import each_main_screen, seed

pytestmark = pytest.mark.e2e

FOCUSED = """() => { const e = document.activeElement;
  return e && e !== document.body ? { tag: e.tagName, role: e.getAttribute('role'), id: e.dataset.id || null,
    text: (e.innerText || '').trim().slice(0, 60) } : null }"""
RING = """() => { const e = document.activeElement; if (!e || e === document.body) return null;
  const style = getComputedStyle(e); const box = e.getBoundingClientRect();
  const where = `${Math.round(box.x)},${Math.round(box.y + scrollY)}`;
  return { what: `${e.tagName} ${(e.innerText || e.name || '').trim().slice(0, 30)} at ${where}`,
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 } }"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def tab_until(page, matches, limit: int = 60, key: str = "Tab") -> dict:
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if now and matches(now):
            return now
    pytest.fail(f"{key} never reached the element")


def test_the_list_is_one_tab_stop_and_the_focus_follows_a_session_there_and_back(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        stored = seed(client)
    ui.sign_in(tenant)
    page = ui.page
    expect(page.locator("tr.row")).to_have_count(8)

    first = tab_until(page, lambda f: f["tag"] == "TR")
    assert first["id"] == stored["failed"]["id"]  # the newest
    page.keyboard.press("Tab")
    assert (focused(page) or {}).get("tag") != "TR", "Tab leaves the list instead of walking its rows"
    page.keyboard.press("Shift+Tab")
    assert focused(page)["id"] == stored["failed"]["id"]
    page.keyboard.press("End")
    assert focused(page)["id"] == stored["plain"][-1]["id"]  # the oldest
    page.keyboard.press("Home")
    page.keyboard.press("ArrowDown")
    assert focused(page)["id"] == stored["rag"]["id"]
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page)["id"] == stored["rag"]["id"], "the row last focused is the list's Tab stop"

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(f"/ui/sessions/{stored['rag']['id']}")))
    page.wait_for_selector("[role=treeitem]")
    expect(page.locator("[role=treeitem][aria-selected=true]")).to_be_focused()
    before = page.url
    page.keyboard.press("ArrowDown")
    expect(page).not_to_have_url(before)
    expect(page.locator("[role=treeitem][aria-selected=true]")).to_be_focused()  # the selection follows the focus
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"

    tab_until(page, lambda f: f["text"] == "← Sessions", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/ui/sessions$"))
    expect(page.locator(f"tr.row[data-id='{stored['rag']['id']}']")).to_be_focused()


def test_escape_closes_a_confirmation_or_dialog_and_the_focus_goes_back(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        stored = seed(client)
    ui.sign_in(tenant, f"/ui/sessions/{stored['rag']['id']}")
    page = ui.page
    page.wait_for_selector("[role=treeitem]")

    delete = page.get_by_role("button", name="Delete session")
    delete.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("[role=alertdialog]")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the harmless choice first
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()

    page.keyboard.press("Shift+Tab")
    share = page.get_by_role("button", name="Share")
    expect(share).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("[role=dialog] select[name=hours]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("[role=dialog]")).to_have_count(0)
    expect(share).to_be_focused()

    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # Delete permanently
    page.wait_for_selector("h1:text-is('Session deleted')")
    with ui.server.client(tenant.api_key) as client:
        assert client.get(f"/api/v1/sessions/{stored['rag']['id']}").status_code == 404

    ui.go("Settings", "table[aria-label='API keys']")
    revoke = page.locator("tr[data-key]").first.get_by_role("button", name="Revoke")
    revoke.focus()
    page.keyboard.press("Enter")
    expect(page.locator("tr[data-key]").first.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(revoke).to_be_focused()
    expect(page.locator("tr[data-key] >> text=Confirm revoke")).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_tab_stop_shows_a_focus_ring(ui, tenant, scheme):
    for path in each_main_screen(ui, tenant, scheme):
        seen, missing = set(), []
        for _ in range(80):  # round the page once, from wherever the focus is (past the end, Tab starts over)
            ui.page.keyboard.press("Tab")
            stop = ui.page.evaluate(RING)
            if stop is None:
                continue
            if stop["what"] in seen:
                break
            seen.add(stop["what"])
            if not stop["ring"]:
                missing.append(stop["what"])
        assert len(seen) > 10, f"{path}: only {sorted(seen)}"
        assert missing == [], f"{path}: no focus ring on {missing}"
