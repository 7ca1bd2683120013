"""The operator console in a real Chromium: staff sign in to /ui/operator and see the instance, accounts and
volumes with no customer content on any tab (P10); the operator announces a policy version (too early →
the API's message; in time → listed, P20), sees leads and referral counts (P8, P12) and queues a
promotional mail that shows in the outbox (P6); staff read a session only under a grant, audited (P10); an
account's owner has no Operator area and gets the API's 403 at its address."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from promptwatch.server.services.clock import utc_now
from promptwatch.server.services.policies import earliest_effective_date, parse_holidays
from promptwatch.server.services.staff import StaffService
from tests.e2e import test_ui_customers as customers
from tests.e2e.scenario import ingest, plain_session
from tests.integration.test_customers_signup import sign_up_and_verify
from tests.support.mailbox import OPERATOR_PASSWORD, login, new_tenant
from tests.support.payloads import uid

pytestmark = pytest.mark.e2e

# a server of this module's own that mails through a real SMTP server: announcements reach no other module
mail_server, live_server = customers.mail_server, customers.live_server

TABS = ["Instance", "Accounts", "Usage", "Invoices", "Policies", "Leads & referrals", "Mail", "Support access"]
CUSTOMER_READS = re.compile(r"/api/v1/(sessions|support/accounts|metrics|keys|members|projects|audit)\b")


def person(email: str, password: str) -> SimpleNamespace:
    """Sign-in details in the shape `ui.sign_in` takes."""
    return SimpleNamespace(owner_email=email, owner_password=password)


OPERATOR = person("operator@localhost", OPERATOR_PASSWORD)


def staff_member(server) -> SimpleNamespace:
    email, password = f"staff-{uid()}@example.test", "pw-" + uid()
    StaffService(server.accounts()._rt).create_staff(email, password, "staff")
    return person(email, password)


def open_tab(page, title: str) -> None:
    page.click(f"nav[aria-label=Operator] >> text={title}")
    expect(page.locator("nav[aria-label=Operator] a[aria-current=page]")).to_have_text(title)
    expect(page.locator("main .loading")).to_have_count(0)


def test_p10_operator_console_shows_no_customer_content(ui):
    canary = f"canary-{uid()}-do-not-show"
    tenant = new_tenant(ui.server, "watched")
    session, activities = plain_session("support", "acme", datetime.now(timezone.utc), 1)
    session["session_name"] = canary
    activities[0]["prompt"] = f"Summarise {canary}"
    with ui.server.client(tenant.api_key) as client:
        ingest(client, (session, activities))
        assert canary in client.get(f"/api/v1/sessions/{session['id']}").text  # the canary is stored

    page = ui.page
    ui.sign_in(OPERATOR)
    expect(page).to_have_url(re.compile(r"/ui/operator$"))
    assert page.locator("nav[aria-label=Main] a").all_inner_texts() == ["Operator"]
    for title in TABS:
        open_tab(page, title)
        if title == "Accounts":
            row = page.locator(f"table[aria-label=Accounts] tr[data-row='{tenant.account_id}']")
            expect(row).to_contain_text("free")
        if title == "Usage":
            volumes = page.locator(f"table[aria-label='Volumes per account'] tr[data-row='{tenant.account_id}'] td")
            expect(volumes.nth(1)).to_have_text("1")  # one session stored
        if title == "Support access":
            expect(page.get_by_text("No live grant: no customer data is readable.")).to_be_visible()
        assert canary not in page.content(), title
    reads = [r.url for r in ui.responses if CUSTOMER_READS.search(r.url)]
    assert reads == [], f"the console asked for customer data: {reads}"

    # a staff member (not the operator) sees the instance, and the operator's routes answer with their 403
    page.get_by_role("button", name="Sign out").click()
    ui.sign_in(staff_member(ui.server), "/ui/operator?tab=accounts")
    expect(page.locator(f"table[aria-label=Accounts] tr[data-row='{tenant.account_id}']")).to_be_visible()
    open_tab(page, "Invoices")
    expect(page.locator("main [role=alert]").first).to_contain_text("only the instance operator may do this")
    assert canary not in page.content()


def test_p20_operator_announces_a_policy_version(ui):
    page = ui.page
    ui.sign_in(OPERATOR, "/ui/operator?tab=policies")
    holidays = parse_holidays(ui.server.settings().policy_holidays)
    earliest = earliest_effective_date(utc_now().date(), holidays)
    title = f"Privacy policy {uid()}"
    page.fill("input[name=title]", title)
    page.fill("textarea[name=body]", "We keep less.")
    page.fill("input[name=effective]", str(earliest - timedelta(days=1)))
    page.get_by_role("button", name="Announce", exact=True).click()
    alert = page.locator("main [role=alert]")
    expect(alert).to_contain_text("30 business days' notice")
    said = re.search(r"\d{4}-\d{2}-\d{2}", alert.inner_text()).group()
    # the server's earliest date is the one for today, as it was before the click or after (midnight UTC)
    assert said in {str(earliest), str(earliest_effective_date(utc_now().date(), holidays))}
    expect(page.locator("table[aria-label='Policy versions']")).not_to_contain_text(title)

    page.fill("input[name=effective]", said)
    page.get_by_role("button", name="Announce", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="announced")).to_be_visible()
    expect(page.locator("table[aria-label='Policy versions']")).to_contain_text(title)
    expect(page.locator("main [role=alert]")).to_have_count(0)


def test_p8_p12_p6_leads_referrals_and_mail_in_the_outbox(ui, mail_server):
    server, mailbox = mail_server
    lead = f"lead-{uid()}@example.test"
    inviter = new_tenant(server, "inviter")
    with server.client() as anonymous:
        joined = anonymous.post("/api/v1/waitlist", json={"email": lead, "organisation": "Lead Co", "consent": True})
        assert joined.status_code == 202, joined.text
    with server.client(login(server, inviter.owner_email, inviter.owner_password)) as owner:
        code = owner.post("/api/v1/referrals/codes").json()["code"]
    sign_up_and_verify(server, mailbox, f"friend-{uid()}@example.test", referral_code=code)

    page = ui.page
    ui.sign_in(OPERATOR, "/ui/operator?tab=leads")
    expect(page.locator("table[aria-label=Leads]")).to_contain_text(lead)
    expect(page.locator("table[aria-label=Leads]")).to_contain_text("Lead Co")
    referrals = page.locator("table[aria-label='Referral counts'] tr", has_text=inviter.owner_email)
    expect(referrals.locator("td").nth(1)).to_have_text("1")

    open_tab(page, "Mail")
    subject = f"News {uid()}"
    page.select_option("select[name=audience]", "leads")
    page.fill("input[name=subject]", subject)
    page.fill("textarea[name=body]", "Something new.")
    page.get_by_role("button", name="Queue mail").click()
    expect(page.get_by_role("status").filter(has_text="queued")).to_be_visible()
    row = page.locator("table[aria-label=Outbox] tr", has_text=subject).filter(has_text=lead)
    expect(row).to_be_visible()
    mailbox.wait_for(lead, subject)
    page.get_by_role("button", name="Refresh").click()
    expect(row).to_contain_text("sent")


def test_account_owner_has_no_operator_area(ui, mail_server):
    tenant = new_tenant(mail_server[0], "customer")
    page = ui.page
    ui.sign_in(tenant)
    expect(page.locator("nav[aria-label=Main]")).to_contain_text("Sessions")
    expect(page.locator("nav[aria-label=Main]")).not_to_contain_text("Operator")
    page.goto(ui.origin + "/ui/operator")
    expect(page.locator("main [role=alert]").first).to_contain_text("this is for the instance's operator staff")
    expect(page.locator("main table")).to_have_count(0)


def test_p10_staff_read_a_granted_session_read_only_and_audited(ui):
    tenant = new_tenant(ui.server, "granting")
    session, activities = plain_session("support", "acme", datetime.now(timezone.utc), 2)
    activities[0]["prompt"] = secret = f"granted-{uid()}"
    with ui.server.client(tenant.api_key) as client:
        ingest(client, (session, activities))
    with ui.server.client(login(ui.server, tenant.owner_email, tenant.owner_password)) as owner:
        grant = owner.post("/api/v1/support-grants", json={"scope": "account", "reason": "ticket 4711"}).json()
    try:
        page = ui.page
        ui.sign_in(staff_member(ui.server), "/ui/operator?tab=support")
        page.locator(f"tr[data-row='{grant['id']}']").get_by_role("button", name="Open sessions").click()
        expect(page.locator("table[aria-label='Granted sessions']")).to_contain_text(session["session_name"])
        assert secret not in page.content()  # nothing is read before staff ask for it
        page.locator(f"tr[data-row='{session['id']}']").get_by_role("button", name="Read").click()
        expect(page.locator("main pre.text", has_text=secret)).to_have_count(1)
        with ui.server.client(login(ui.server, tenant.owner_email, tenant.owner_password)) as owner:
            actions = [e["action"] for e in owner.get("/api/v1/audit").json()["items"]]
        assert "support.read_session" in actions and "support.list_sessions" in actions
    finally:
        with ui.server.client(login(ui.server, tenant.owner_email, tenant.owner_password)) as owner:
            assert owner.delete(f"/api/v1/support-grants/{grant['id']}").status_code == 204
