"""A session larger than one page of activities on the two read-only screens that read it whole before: the
page a share link opens (P1) and the support view under a grant (P10). Each shows the first 200 activities
at once, then the rest by "Show more" and "Show all", every activity once in tree order; the share page sends
no credential with any page and the opening counts as one view, and every page staff read is audited."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from promptwatch.server.services.staff import StaffService
from tests.e2e.test_ui_session_pages import FIRST_PAGE, IDS, MORE_PAGE, big_session
from tests.support.mailbox import login
from tests.support.payloads import uid

pytestmark = pytest.mark.e2e

ROWS = "main .shared-activities[aria-label=Activities] .shared-activity"
STATUS = ".more-activities [role=status]"


def tree_order(run: dict) -> list[str]:
    return [run["agent"]["id"], *(s["id"] for s in run["steps"]), run["late"]["id"], run["early"]["id"]]


def read_every_page(page, total: int) -> None:
    """From the first page on the screen to every activity, by "Show more" then "Show all" (on a narrow
    screen, where scrolling reads no page by itself)."""
    expect(page.locator(ROWS)).to_have_count(FIRST_PAGE)
    expect(page.locator(STATUS)).to_have_text(f"{FIRST_PAGE} of {total} activities shown")
    page.get_by_role("button", name=f"Show {MORE_PAGE} more").click()
    expect(page.locator(ROWS)).to_have_count(FIRST_PAGE + MORE_PAGE)
    page.get_by_role("button", name="Show all").click()
    expect(page.locator(ROWS)).to_have_count(total)
    expect(page.locator(STATUS)).to_have_text(f"All {total} activities shown")
    expect(page.get_by_role("button", name="Show all")).to_have_count(0)


def test_p1_a_large_shared_session_opens_with_its_first_page_and_reads_on_without_a_credential(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        run = big_session(client)
        link = client.post("/api/v1/share-links", json={"object_id": run["id"]}).json()
    total = len(tree_order(run))
    page = ui.page
    page.set_viewport_size({"width": 900, "height": 800})
    sent = []
    page.on("request", lambda request: sent.append(request) if "/api/v1/shared/" in request.url else None)
    ui.sign_in(tenant)  # a signed-in tab: the shared page still sends no credential
    page.goto(ui.origin + f"/ui/shared/{link['token']}")
    page.locator("h1:has-text('A long agent run')").wait_for()
    read_every_page(page, total)

    assert page.eval_on_selector_all(ROWS, IDS) == tree_order(run), "every activity once, in tree order"
    early = page.locator(f"{ROWS}[data-id='{run['early']['id']}']")
    expect(early).to_have_css("margin-left", "40px")  # agent → late parent → early child
    expect(early).to_contain_text("the answer of early child")
    assert len(sent) >= 3 and all("authorization" not in r.headers for r in sent), "a page sent a credential"
    with ui.server.client(tenant.api_key) as client:
        (listed,) = [x for x in client.get("/api/v1/share-links").json()["items"] if x["id"] == link["id"]]
    assert listed["views"] == 1, "the opening is one view, not one per page"


def test_p10_staff_read_a_large_granted_session_a_page_at_a_time(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        run = big_session(client)
    with ui.server.client(login(ui.server, tenant.owner_email, tenant.owner_password)) as owner:
        grant = owner.post("/api/v1/support-grants", json={"reason": "ticket 8080"}).json()
    email, password = f"staff-{uid()}@example.test", "pw-" + uid()
    StaffService(ui.server.accounts()._rt).create_staff(email, password, "staff")
    page = ui.page
    page.set_viewport_size({"width": 900, "height": 800})
    ui.sign_in(SimpleNamespace(owner_email=email, owner_password=password), "/ui/operator?tab=support")
    page.locator(f"tr[data-row='{grant['id']}']").get_by_role("button", name="Open sessions").click()
    page.locator(f"tr[data-row='{run['id']}']").get_by_role("button", name="Read").click()
    expect(page.locator("main pre.text").first).to_contain_text("A long agent run")  # the session's totals
    read_every_page(page, len(tree_order(run)))
    assert page.eval_on_selector_all(ROWS, IDS) == tree_order(run), "every activity once, in tree order"
    expect(page.locator(f"{ROWS}[data-id='{run['early']['id']}']")).to_contain_text(run["late"]["id"])  # its parent

    with ui.server.client(login(ui.server, tenant.owner_email, tenant.owner_password)) as owner:
        reads = owner.get("/api/v1/audit", params={"action": "support.read_session"}).json()["items"]
        assert len(reads) == 3 and {e["target"] for e in reads} == {run["id"]}, "each page read is audited"
        assert owner.delete(f"/api/v1/support-grants/{grant['id']}").status_code == 204
