"""A visitor's whole way in, end to end through the API and a real SMTP server: joins the waitlist, opts out
by the mailed link, is invited by a user's referral link, signs up, verifies, logs in, is invoiced and
downloads the invoice PDF (P6, P7, P8, P12, P17)."""

from __future__ import annotations

import httpx
import pytest

from promptwatch.server.services.clock import utc_now
from tests.support.mailbox import link_in, login, new_tenant, operator_token, server_with_mail, token_in
from tests.support.payloads import uid


@pytest.fixture
def journey_server(backend, tmp_path):
    with server_with_mail(backend, tmp_path) as (server, mailbox):
        yield server, mailbox


def test_p8_p12_p7_visitor_to_invoiced_customer(journey_server):
    server, mailbox = journey_server
    visitor = f"visitor-{uid()}@example.test"
    with server.client() as anonymous:
        assert anonymous.post("/api/v1/waitlist", json={"email": visitor, "consent": True, "source": "ad"}).is_success
    with httpx.Client(timeout=10) as browser:
        assert browser.get(link_in(mailbox.wait_for(visitor, "waitlist"), "/api/v1/unsubscribe?token=")).is_success
    inviter = new_tenant(server, "inviter")
    inviter_token = login(server, inviter.owner_email, inviter.owner_password)
    with server.client(inviter_token) as user:
        link = user.post("/api/v1/referrals/codes").json()["link"]
    code = link.rsplit("ref=", 1)[1]
    with server.client() as anonymous:
        signup = {"email": visitor, "password": "visitor-password", "account_name": "Visitor Co", "referral_code": code}
        assert anonymous.post("/api/v1/signup", json=signup).status_code == 202
        verified = anonymous.post(
            "/api/v1/signup/verify", json={"token": token_in(mailbox.wait_for(visitor, "Confirm"))}
        )
        assert verified.status_code == 200 and verified.json()["was_lead"] and verified.json()["referred"]
    account_id = verified.json()["account_id"]
    token = login(server, visitor, "visitor-password")
    with server.client(token) as customer:
        assert customer.put("/api/v1/account/billing-profile", json={"billing_name": "Visitor Co Ltd"}).is_success
        assert customer.get("/api/v1/me/contact-preferences").json()["promotions"] is False  # the opt-out stands
    with server.client(inviter_token) as user:
        assert len(user.get("/api/v1/referrals").json()["referrals"]) == 1
    with server.client(operator_token(server)) as operator:
        leads = {lead["email"]: lead for lead in operator.get("/api/v1/operator/leads").json()["items"]}
        assert leads[visitor]["status"] == "customer"
        issued = operator.post(
            "/api/v1/operator/invoices", json={"account_id": account_id, "period": f"{utc_now():%Y-%m}"}
        )
        assert issued.status_code == 201
    number = issued.json()["items"][0]["number"]
    mail = mailbox.wait_for(visitor, "Invoice")  # a billing notice: it goes despite the opt-out (P17)
    assert f"/ui/invoices/{number}" in mail.get_body().get_content()
    with server.client(token) as customer:
        pdf = customer.get(f"/api/v1/invoices/{number}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
