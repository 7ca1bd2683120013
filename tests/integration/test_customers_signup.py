"""Public waitlist and sign-up (P8), referral invites (P12) and account mail (verification, password reset,
invitations) through the outbox and a real SMTP server on 127.0.0.1. No cookie is ever set."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.databases import fresh_database
from tests.support.mailbox import body_of, link_in, login, new_tenant, operator_token, server_with_mail, token_in
from tests.support.payloads import uid
from tests.support.server import provision


@pytest.fixture(scope="module")
def mailed(backend, tmp_path_factory):
    with server_with_mail(backend, tmp_path_factory.mktemp(f"signup-{backend}")) as (server, mailbox):
        yield server, mailbox


def address(prefix: str) -> str:
    return f"{prefix}-{uid()}@example.test"


def lead_of(server, email: str) -> dict:
    with server.client(operator_token(server)) as operator:
        leads = operator.get("/api/v1/operator/leads").json()["items"]
    return next(lead for lead in leads if lead["email"] == email)


def sign_up_and_verify(server, mailbox, email: str, password: str = "a-long-password", **extra) -> dict:
    with server.client() as anonymous:
        answer = anonymous.post(
            "/api/v1/signup", json={"email": email, "password": password, "account_name": "Acme", **extra}
        )
        assert answer.status_code == 202, answer.text
        assert "set-cookie" not in answer.headers
        mail = mailbox.wait_for(email, "Confirm your e-mail")
        assert link_in(mail, "/ui/verify?token=")
        verified = anonymous.post("/api/v1/signup/verify", json={"token": token_in(mail)})
        assert verified.status_code == 200, verified.text
        return verified.json()


def test_p8_waitlist_stores_consent_time_and_source_and_the_lead_opts_out_by_link(mailed):
    server, mailbox = mailed
    email = address("lead")
    with server.client() as visitor:
        shown = visitor.get("/api/v1/waitlist").json()
        assert shown["enabled"] is True
        joined = visitor.post(
            "/api/v1/waitlist",
            json={
                "email": email,
                "name": "Ada",
                "organisation": "Engines Ltd",
                "source": "landing:hero",
                "consent": True,
            },
        )
        assert joined.status_code == 202 and "set-cookie" not in joined.headers
    lead = lead_of(server, email)
    assert lead["consent_text"] == shown["consent_text"]
    assert lead["source"] == "landing:hero" and lead["status"] == "waitlist" and lead["consented_at"]
    assert lead["organisation"] == "Engines Ltd"
    confirmation = mailbox.wait_for(email, "waitlist")
    opt_out = link_in(confirmation, "/api/v1/unsubscribe?token=")
    with httpx.Client(timeout=10) as browser:
        page = browser.get(opt_out)
    assert page.status_code == 200 and "off the waitlist" in page.text
    left = lead_of(server, email)
    assert left["status"] == "opted_out" and left["opted_out_at"]
    with server.client(operator_token(server)) as operator:
        queued = operator.post(
            "/api/v1/operator/mail",
            json={"category": "promotions", "subject": "Launch offer", "body": "Come.", "audience": "leads"},
        )
        assert queued.status_code == 202
        time.sleep(1.5)
    assert [m["Subject"] for m in mailbox.to(email)] == [confirmation["Subject"]]


def test_p8_waitlist_needs_consent_and_a_valid_address(mailed):
    server, _ = mailed
    with server.client() as visitor:
        assert visitor.post("/api/v1/waitlist", json={"email": address("x"), "consent": False}).status_code == 422
        assert visitor.post("/api/v1/waitlist", json={"email": "not-an-address", "consent": True}).status_code == 422


def test_p8_lead_becomes_customer_on_sign_up_after_verifying(mailed):
    server, mailbox = mailed
    email = address("convert")
    with server.client() as visitor:
        visitor.post("/api/v1/waitlist", json={"email": email, "consent": True, "source": "blog"})
    with server.client() as anonymous:  # before verification nothing exists to log in to
        anonymous.post("/api/v1/signup", json={"email": email, "password": "a-long-password", "account_name": "A"})
        assert (
            anonymous.post("/api/v1/auth/login", json={"email": email, "password": "a-long-password"}).status_code
            == 401
        )
    mail = mailbox.wait_for(email, "Confirm your e-mail")
    with server.client() as anonymous:
        verified = anonymous.post("/api/v1/signup/verify", json={"token": token_in(mail)})
        assert verified.status_code == 200 and verified.json()["was_lead"] is True
        again = anonymous.post("/api/v1/signup/verify", json={"token": token_in(mail)})
        assert again.status_code == 410
    token = login(server, email, "a-long-password")
    with server.client(token) as me:
        assert me.get("/api/v1/me").json()["role"] == "owner"
    lead = lead_of(server, email)
    assert lead["status"] == "customer" and lead["user_id"] == verified.json()["user_id"]


def test_p12_sign_up_through_a_referral_code_records_the_inviter(mailed):
    server, mailbox = mailed
    inviter = new_tenant(server, "inviter")
    token = login(server, inviter.owner_email, inviter.owner_password)
    with server.client(token) as me:
        created = me.post("/api/v1/referrals/codes")
        assert created.status_code == 201
        code = created.json()["code"]
        assert created.json()["link"].endswith(f"/ui/signup?ref={code}")
    with server.client(inviter.api_key) as key_client:  # a referral belongs to a person, not a key
        assert key_client.post("/api/v1/referrals/codes").status_code == 403
    friend = address("friend")
    with server.client() as anonymous:
        bad = anonymous.post(
            "/api/v1/signup",
            json={"email": friend, "password": "a-long-password", "account_name": "F", "referral_code": "nope"},
        )
        assert bad.status_code == 422
    sign_up_and_verify(server, mailbox, friend, referral_code=code)
    with server.client(token) as me:
        mine = me.get("/api/v1/referrals").json()
    assert [c["code"] for c in mine["codes"]] == [code]
    assert len(mine["referrals"]) == 1 and mine["referrals"][0]["email"] == "f***@example.test"
    with server.client(operator_token(server)) as operator:
        counts = operator.get("/api/v1/operator/referrals").json()["items"]
    assert {"inviter_user_id": me_id(server, token), "email": inviter.owner_email, "referrals": 1} in counts


def me_id(server, token: str) -> int:
    with server.client(token) as me:
        return me.get("/api/v1/me").json()["user"]["id"]


def test_password_reset_by_mailed_link(mailed):
    server, mailbox = mailed
    email = address("forgetful")
    sign_up_and_verify(server, mailbox, email, password="first-password")
    old_token = login(server, email, "first-password")
    with server.client() as anonymous:
        unknown = anonymous.post("/api/v1/auth/password-reset", json={"email": address("nobody")})
        known = anonymous.post("/api/v1/auth/password-reset", json={"email": email})
        assert unknown.status_code == known.status_code == 202 and unknown.json() == known.json()
        mail = mailbox.wait_for(email, "Reset your PromptWatch password")
        assert link_in(mail, "/ui/reset?token=")
        reset = token_in(mail)
        short = anonymous.post("/api/v1/auth/password-reset/confirm", json={"token": reset, "password": "short"})
        assert short.status_code == 422
        done = anonymous.post(
            "/api/v1/auth/password-reset/confirm", json={"token": reset, "password": "second-password"}
        )
        assert done.status_code == 200
        reused = anonymous.post(
            "/api/v1/auth/password-reset/confirm", json={"token": reset, "password": "third-password"}
        )
        assert reused.status_code == 410
    with server.client(old_token) as stale:  # a reset ends every log-in
        assert stale.get("/api/v1/me").status_code == 401
    login(server, email, "second-password")


def test_sign_up_with_a_known_address_reveals_nothing_and_mails_the_owner(mailed):
    server, mailbox = mailed
    email = address("twice")
    sign_up_and_verify(server, mailbox, email)
    with server.client() as anonymous:
        again = anonymous.post(
            "/api/v1/signup", json={"email": email, "password": "a-long-password", "account_name": "B"}
        )
    assert again.status_code == 202 and again.json() == {"status": "check your mail"}
    assert "/ui/reset" in body_of(mailbox.wait_for(email, "already have"))


def test_p16_an_invitation_is_mailed_through_the_outbox_and_its_link_makes_a_member(mailed):
    server, mailbox = mailed
    owner = server.first
    invited = address("invited")
    with server.client(login(server, owner.owner_email, owner.owner_password)) as admin:
        answer = admin.post("/api/v1/invitations", json={"email": invited, "role": "member"})
        assert answer.status_code == 201, answer.text
    message = mailbox.wait_for(invited, "Invitation to")
    assert f"{owner.owner_email} invited you" in body_of(message)
    link = link_in(message, "/ui/invitation?token=")
    assert link == answer.json()["link"] and link.startswith(server.base_url)
    with server.client() as anonymous:
        joined = anonymous.post("/api/v1/invitations/accept", json={"token": token_in(message), "password": "x" * 12})
        assert joined.status_code == 200 and joined.json()["role"] == "member"
    with server.client(login(server, invited, "x" * 12)) as member:
        assert member.get("/api/v1/me").json()["account"]["id"] == owner.account_id


def test_public_forms_are_rate_limited_per_address(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        server = provision(url, tmp_path)
        server.extra_env = {
            "PROMPTWATCH_WAITLIST_ENABLED": "true",
            "PROMPTWATCH_SIGNUP_ENABLED": "true",
            "PROMPTWATCH_PUBLIC_FORM_RATE_PER_HOUR": "3",
        }
        server.start()
        try:
            with server.client() as visitor:
                codes = [
                    visitor.post("/api/v1/waitlist", json={"email": address("r"), "consent": True}).status_code
                    for _ in range(4)
                ]
                assert codes == [202, 202, 202, 429]
                signup = visitor.post(
                    "/api/v1/signup", json={"email": address("s"), "password": "a-long-password", "account_name": "S"}
                )
                assert signup.status_code == 202  # each form has its own budget
        finally:
            server.stop()


def test_forms_are_closed_unless_the_operator_opens_them(live_server):
    with live_server.client() as visitor:
        assert visitor.post("/api/v1/waitlist", json={"email": address("c"), "consent": True}).status_code == 403
        closed = visitor.post(
            "/api/v1/signup", json={"email": address("c"), "password": "a-long-password", "account_name": "C"}
        )
        assert closed.status_code == 403


def test_the_operator_s_lists_refuse_a_status_they_do_not_know_by_name(mailed):
    server, _ = mailed
    with server.client(operator_token(server)) as operator:
        for path in ("/api/v1/operator/leads", "/api/v1/operator/outbox"):
            refused = operator.get(path, params={"status": "bogus"})
            assert refused.status_code == 422, (path, refused.text)
            assert "query.status" in refused.text, path
        assert operator.get("/api/v1/operator/leads", params={"status": "waitlist"}).status_code == 200
