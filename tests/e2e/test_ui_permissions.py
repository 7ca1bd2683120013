"""What a caller may not do is not offered: signed in with a read-only API key, a session page shows no delete,
share, annotation, replay or dataset controls (the annotation reads as text), nor Settings' data controls;
an ingest key gets the session's controls and JSON Lines import but no export, retention, encryption or
deletion controls; the account's owner gets every one of them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.e2e.scenario import ingest, rag_session
from tests.e2e.test_ui_access import login_token
from tests.support.server import Tenant

pytestmark = pytest.mark.e2e

SESSION_CONTROLS = {
    "button": ["Delete session", "Share", "Delete activity", "Save annotation", "Replay", "Add to dataset"],
    "textbox": ["Note"],
}


def read_only_key(ui, tenant: Tenant) -> str:
    with ui.server.client(login_token(ui, tenant)) as owner:
        created = owner.post("/api/v1/keys", json={"scope": "read", "name": "read-only"})
    assert created.status_code == 201, created.text
    return created.json()["api_key"]


def open_rag_session(ui, tenant: Tenant) -> None:
    session, activities = rag_session("web", "acme", datetime.now(timezone.utc))
    with ui.server.client(tenant.api_key) as client:
        ingest(client, (session, activities))
    ui.open(f"/ui/sessions/{session['id']}", "article[aria-label='Activity detail']")
    ui.page.wait_for_selector("form[aria-label=Annotation] .annotation-body")
    ui.page.click("details.replay summary")  # the replay form is drawn once its panel is opened


def offered(page, role: str, name: str):
    """The controls of that role and name, also those inside a closed <details>."""
    return page.get_by_role(role, name=name, exact=True, include_hidden=True)


def test_a_read_only_key_is_offered_no_control_it_may_not_use(ui, tenant):
    page = ui.page
    ui.sign_in_with_key(read_only_key(ui, tenant))
    open_rag_session(ui, tenant)
    for role, names in SESSION_CONTROLS.items():
        for name in names:
            expect(offered(page, role, name)).to_have_count(0)
    expect(page.locator("form[aria-label=Annotation]")).to_contain_text("Not annotated.")
    expect(page.locator("details.replay summary")).to_have_text("Earlier replays")

    ui.page.goto(ui.origin + "/ui/settings?tab=data")
    page.get_by_role("heading", name="Deletion receipts").wait_for()
    for name in ["Prepare export", "Import", "Save policy", "Turn on encryption at rest", "Erase tenant"]:
        expect(offered(page, "button", name)).to_have_count(0)
    ui.page.goto(ui.origin + "/ui/settings")
    expect(page.get_by_text("Managing API keys needs an owner or admin role")).to_be_visible()
    expect(offered(page, "button", "Create key")).to_have_count(0)


def test_an_ingest_key_is_offered_the_sessions_controls_but_not_the_admins(ui, tenant):
    page = ui.page
    ui.sign_in_with_key(tenant.api_key)
    open_rag_session(ui, tenant)
    for role, names in SESSION_CONTROLS.items():
        for name in names:
            expect(offered(page, role, name).first).to_be_attached()

    ui.page.goto(ui.origin + "/ui/settings?tab=data")
    expect(page.get_by_label("JSON Lines (.jsonl)")).to_be_attached()
    for name in ["Prepare export", "Save policy", "Turn on encryption at rest", "Erase tenant"]:
        expect(offered(page, "button", name)).to_have_count(0)


def test_the_owner_is_offered_every_control_of_a_session(ui, tenant):
    page = ui.page
    ui.sign_in(tenant)
    open_rag_session(ui, tenant)
    for role, names in SESSION_CONTROLS.items():
        for name in names:
            expect(offered(page, role, name).first).to_be_attached()
