"""The customer screens in a real Chromium against a server that mails through a real SMTP server: a visitor
joins the waitlist, signs up through a referral link and verifies by the mailed link (P8, P12); an owner edits
the profiles, toggles contact preferences and downloads an invoice PDF (P6, P7, P17); the policy-change
banner until it is acknowledged (P20); page views counted by route template only (P5)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from promptwatch.server.services.clock import utc_now
from promptwatch.server.services.policies import earliest_effective_date
from tests.integration.test_customers_usage_stats import stored_rows
from tests.support.mailbox import link_in, login, operator_token, server_with_mail
from tests.support.payloads import uid

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def mail_server(backend, tmp_path_factory):
    with server_with_mail(backend, tmp_path_factory.mktemp(f"ui-customers-{backend}")) as (server, mailbox):
        yield server, mailbox


@pytest.fixture(scope="module")
def live_server(mail_server):
    """The `ui` and `tenant` fixtures run against the server with mail."""
    return mail_server[0]


@pytest.fixture
def mailbox(mail_server):
    return mail_server[1]


def account_tab(ui, tenant) -> None:
    ui.sign_in(tenant, "/ui/settings?tab=account")
    ui.page.get_by_role("heading", name="Billing profile").wait_for()


def test_p8_p12_visitor_joins_the_waitlist_then_signs_up_by_a_referral_link(ui, tenant, mailbox):
    page = ui.page
    account_tab(ui, tenant)
    page.click("text=Create an invite link")
    link = page.locator("code.invite-link").inner_text()
    assert re.fullmatch(re.escape(ui.origin) + r"/ui/signup\?ref=[\w-]+", link)
    page.click("text=Sign out")

    visitor = f"visitor-{uid()}@example.test"
    page.goto(ui.origin + "/ui/waitlist")
    consent = page.locator("label.check .consent")
    assert consent.inner_text().strip()  # the consent text the server stores with the lead
    page.fill("input[name=email]", visitor)
    page.fill("input[name=organisation]", "Visitor Co")
    page.check("input[name=consent]")
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="You are on the waitlist")).to_be_visible()
    assert "/api/v1/unsubscribe?token=" in link_in(mailbox.wait_for(visitor, "waitlist"), "unsubscribe")

    page.goto(link)
    expect(page.get_by_role("status")).to_contain_text(link.rsplit("=", 1)[1])
    page.fill("input[name=email]", visitor)
    page.fill("input[name=password]", "visitor-password")
    page.fill("input[name=account_name]", "Visitor Co")
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()

    page.goto(link_in(mailbox.wait_for(visitor, "Confirm"), "/ui/verify?token="))
    expect(page.get_by_role("status")).to_contain_text(f"{visitor} is confirmed")
    page.get_by_role("link", name="Sign in").click()
    page.fill("input[name=email]", visitor)
    page.fill("input[name=password]", "visitor-password")
    page.click("button[type=submit]")
    page.get_by_role("button", name="Sign out").wait_for()
    assert "Visitor Co" in page.locator("header.top").inner_text()

    with ui.server.client(operator_token(ui.server)) as operator:
        leads = {lead["email"]: lead for lead in operator.get("/api/v1/operator/leads").json()["items"]}
    assert leads[visitor]["status"] == "customer" and leads[visitor]["organisation"] == "Visitor Co"

    # the inviter sees the sign-up, the address masked
    inviter = ui.context.new_page()
    inviter.goto(ui.origin + "/ui/settings?tab=account")
    inviter.fill("input[name=email]", tenant.owner_email)
    inviter.fill("input[name=password]", tenant.owner_password)
    inviter.click("button[type=submit]")
    row = inviter.locator("table[aria-label='My referrals'] tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("v***@example.test")
    assert visitor not in row.inner_text()
    inviter.close()


def test_p7_owner_edits_profiles_and_downloads_the_invoice_pdf(ui, tenant, mailbox):
    page = ui.page
    account_tab(ui, tenant)
    profile = page.locator("form[aria-label='Account profile']")
    profile.locator("input[name=company]").fill("Acme Research GmbH")
    profile.locator("textarea[name=address]").fill("Hauptstraße 1\n10115 Berlin")
    profile.locator("text=Save").click()
    expect(page.locator("#profile-title ~ [role=status]")).to_have_text("Saved.")
    billing = page.locator("form[aria-label='Billing profile']")
    billing.locator("input[name=billing_name]").fill("Acme Research GmbH, Accounts")
    billing.locator("input[name=country]").fill("de")
    billing.locator("input[name=billing_email]").fill(f"billing-{uid()}@example.test")
    billing.locator("text=Save").click()
    expect(page.locator("#billing-title ~ [role=status]")).to_have_text("Saved.")
    token = login(ui.server, tenant.owner_email, tenant.owner_password)
    with ui.server.client(token) as owner:
        assert owner.get("/api/v1/account/profile").json()["company"] == "Acme Research GmbH"
        stored = owner.get("/api/v1/account/billing-profile").json()
    assert stored["billing_name"] == "Acme Research GmbH, Accounts" and stored["country"] == "DE"
    expect(page.locator("[data-plan=free]")).to_have_text("Free")
    expect(page.locator(".plan")).to_contain_text("€0.00 a month")  # the fee in the plan's currency (EUR)
    expect(page.locator("table[aria-label=Invoices]")).to_have_count(0)

    with ui.server.client(operator_token(ui.server)) as operator:
        issued = operator.post(
            "/api/v1/operator/invoices", json={"account_id": tenant.account_id, "period": f"{utc_now():%Y-%m}"}
        )
    assert issued.status_code == 201, issued.text
    invoice = issued.json()["items"][0]
    assert invoice["bill_to"]["name"] == "Acme Research GmbH, Accounts"
    mailed = link_in(mailbox.wait_for(stored["billing_email"], "Invoice"), "/ui/invoices/")

    page.reload()
    row = page.locator(f"tr[data-invoice='{invoice['number']}']")
    expect(row).to_contain_text(invoice["number_text"])
    with page.expect_download() as download:
        row.get_by_role("button", name="Download PDF").click()
    assert download.value.suggested_filename == f"{invoice['number_text']}.pdf"
    assert open(download.value.path(), "rb").read().startswith(b"%PDF")

    page.goto(mailed)  # the mail's link opens the invoice (this tab is still signed in)
    expect(page.get_by_role("heading", name=re.compile(f"Invoice {invoice['number_text']}"))).to_be_visible()
    expect(page.locator("table[aria-label='Invoice lines'] tbody tr")).to_have_count(len(invoice["lines"]))
    assert "Acme Research GmbH, Accounts" in page.locator(".facts").inner_text()


def test_p7_only_owners_edit_the_billing_profile(ui, tenant):
    token = login(ui.server, tenant.owner_email, tenant.owner_password)
    with ui.server.client(token) as owner:
        owner.put("/api/v1/account/billing-profile", json={"billing_name": "Owner's choice"}).raise_for_status()
        admin_key = owner.post("/api/v1/keys", json={"scope": "admin", "name": "admin"}).json()["api_key"]
    ui.sign_in_with_key(admin_key)
    ui.page.goto(ui.origin + "/ui/settings?tab=account")
    panel = ui.page.locator("section[aria-labelledby=billing-title]")
    expect(panel).to_contain_text("Only owners change the billing profile")
    expect(panel.locator(".facts")).to_contain_text("Owner's choice")
    assert panel.locator("form").count() == 0
    expect(ui.page.locator("form[aria-label='Account profile']")).to_be_visible()  # admins edit the profile


def test_p6_p17_contact_preferences_turn_off_promotions_but_never_billing(ui, tenant):
    page = ui.page
    account_tab(ui, tenant)
    promotions = page.locator("input[name=promotions]")
    expect(promotions).to_be_checked()
    promotions.uncheck()
    expect(promotions).not_to_be_checked()
    expect(promotions).to_be_enabled()
    for always in ("Billing notices", "Legal notices"):
        box = page.get_by_label(re.compile(always))
        expect(box).to_be_checked()
        expect(box).to_be_disabled()
    token = login(ui.server, tenant.owner_email, tenant.owner_password)
    with ui.server.client(token) as owner:
        prefs = owner.get("/api/v1/me/contact-preferences").json()
    assert prefs["promotions"] is False and prefs["product_news"] is True and prefs["billing"] is True


def test_p4_owner_opts_the_account_out_of_usage_statistics(ui, tenant):
    account_tab(ui, tenant)
    counted = ui.page.locator("input[name=usage_stats]")
    expect(counted).to_be_checked()
    counted.uncheck()
    expect(counted).to_be_enabled()
    with ui.server.client(login(ui.server, tenant.owner_email, tenant.owner_password)) as owner:
        assert owner.get("/api/v1/account/usage-stats").json()["account_opted_out"] is True


def test_p20_policy_banner_shows_the_announced_change_until_acknowledged(ui, tenant):
    effective = earliest_effective_date(utc_now().date(), frozenset())
    body = f"We now keep invoices for ten years. {uid()}"
    with ui.server.client(operator_token(ui.server)) as operator:
        announced = operator.post(
            "/api/v1/operator/policies",
            json={"kind": "privacy", "title": "Privacy policy", "body": body, "effective_date": str(effective)},
        )
    assert announced.status_code == 201, announced.text
    version = announced.json()["version"]
    page = ui.page
    ui.sign_in(tenant)
    banner = page.locator(".policy-banner[role=status]")
    notice = banner.locator(f"[data-policy='{announced.json()['id']}']")
    expect(notice).to_contain_text(f"version {version} takes effect on")
    expect(notice).to_contain_text(str(effective.year))

    notice.get_by_role("link", name="Read the new text").click()
    expect(page.locator("pre.policy")).to_have_text(body)
    page.click("text=Back to PromptWatch")
    notice.get_by_role("button", name="Acknowledge").click()
    expect(notice).to_have_count(0)
    page.reload()
    page.get_by_role("button", name="Sign out").wait_for()
    expect(notice).to_have_count(0)
    with ui.server.client(operator_token(ui.server)) as operator:
        acks = operator.get(f"/api/v1/operator/policies/{announced.json()['id']}/acknowledgements").json()["items"]
    assert len(acks) == 1


def test_password_reset_by_the_mailed_link(ui, tenant, mailbox):
    page = ui.page
    page.goto(ui.origin + "/ui/")
    page.click("text=Forgot password?")
    page.fill("input[name=email]", tenant.owner_email)
    page.click("button[type=submit]")
    expect(page.get_by_role("status")).to_contain_text("on its way")
    page.goto(link_in(mailbox.wait_for(tenant.owner_email, "Reset"), "/ui/reset?token="))
    page.fill("input[name=password]", "a-new-password")
    page.fill("input[name=repeat]", "a-new-password")
    page.click("button[type=submit]")
    expect(page.get_by_role("status")).to_contain_text("new password is set")
    page.get_by_role("link", name="Sign in").click()
    page.fill("input[name=email]", tenant.owner_email)
    page.fill("input[name=password]", "a-new-password")
    page.click("button[type=submit]")
    page.get_by_role("button", name="Sign out").wait_for()


def test_p5_page_views_are_counted_by_route_template_without_the_ids(ui, tenant):
    secret = uid("ref")
    page = ui.page
    page.goto(ui.origin + f"/ui/signup?ref={secret}")
    page.get_by_role("heading", name="Create your account").wait_for()
    page.click("text=privacy policy")  # a client-side navigation is counted too
    page.locator("pre.policy").wait_for()
    ui.sign_in(tenant, "/ui/invoices/424242")
    views = [r for r in ui.responses if r.url.endswith("/api/v1/page-views")]
    assert len(views) >= 3 and all(r.status == 204 for r in views)
    assert all("authorization" not in r.request.headers for r in views[:3])  # those before signing in
    routes = {row["route"] for row in stored_rows(ui.server)["pages"]}
    assert {"/ui/signup", "/ui/policies/{id}", "/ui/invoices/{id}"} <= routes
    assert not any(secret in route or "424242" in route or "privacy" in route for route in routes)
