"""The sign-in page offers "Create an account" only while sign-up is open (`signup_enabled` of GET
/api/v1/waitlist; closed on a default instance), a key that can only send is refused with the reason, and the
API docs page asks for no favicon the server lacks."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def sign_in_links(ui):
    ui.page.goto(ui.origin + "/ui/")
    links = ui.page.locator("p.links")
    expect(links.get_by_role("link", name="Forgot password?")).to_be_visible()
    ui.page.wait_for_load_state("networkidle")
    return links


def test_a_default_instance_offers_no_sign_up(ui):
    with ui.server.client() as visitor:
        assert visitor.get("/api/v1/waitlist").json()["signup_enabled"] is False
    expect(sign_in_links(ui).get_by_role("link", name="Create an account")).to_have_count(0)


def test_an_open_sign_up_is_offered(ui):
    opened = {"consent_text": "", "enabled": False, "signup_enabled": True}
    ui.page.route("**/api/v1/waitlist", lambda route: route.fulfill(json=opened))
    link = sign_in_links(ui).get_by_role("link", name="Create an account")
    expect(link).to_have_attribute("href", "/ui/signup")


def test_the_api_docs_page_has_an_inline_favicon(ui):
    ui.page.goto(ui.origin + "/docs")
    expect(ui.page.locator("link[rel=icon]")).to_have_attribute("href", "data:,")
    ui.page.wait_for_load_state("networkidle")
    missing = [f"{r.status} {r.url}" for r in ui.responses if r.status == 404]
    assert missing == [], json.dumps(missing)


def test_a_write_only_key_is_told_it_cannot_read_and_is_not_kept(ui, tenant):
    write_only = ui.server.accounts()._rt.keys.create(tenant.account_id, "write")
    ui.page.goto(ui.origin + "/ui/")
    ui.page.click("role=tab[name='API key']")
    ui.page.fill("input[name=key]", write_only)
    ui.page.click("button[type=submit]")
    expect(ui.page.get_by_role("alert")).to_contain_text("only sends data (scope write)")
    expect(ui.page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert ui.page.evaluate("() => JSON.stringify(sessionStorage)") == "{}"
