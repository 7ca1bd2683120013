"""Links name the address people reach the instance at: PROMPTWATCH_PUBLIC_URL when the operator set it; else an
answer's links take the address its request reached, and mail's links the address `promptwatch up` serves at
(a caller's `Host` never reaches a mail). The test servers run `up --host 127.0.0.1` on a free port."""

from __future__ import annotations

import pytest

from tests.support.mailbox import SmtpServer, link_in, login, mail_env
from tests.support.payloads import uid
from tests.support.server import server_with_env

from .test_p16_roles import owner_token

PROXIED = {"Host": "pw.example.org", "X-Forwarded-Proto": "https"}  # as a proxy on 127.0.0.1 forwards
REACHED = pytest.mark.parametrize(
    ("headers", "base"), [({}, None), (PROXIED, "https://pw.example.org")], ids=["direct", "proxied"]
)


@REACHED
def test_an_invitation_link_is_on_the_address_the_request_reached(live_server, headers, base):
    tenant = live_server.new_tenant("inviting")
    with live_server.client(owner_token(live_server, tenant)) as owner:
        invited = owner.post("/api/v1/invitations", json={"email": f"{uid('i-')}@example.test"}, headers=headers)
    assert invited.status_code == 201, invited.text
    assert invited.json()["link"] == f"{base or live_server.base_url}/ui/invitation?token={invited.json()['token']}"


@REACHED
def test_referral_links_are_on_the_address_the_request_reached(live_server, headers, base):
    tenant = live_server.new_tenant("referring")
    with live_server.client(owner_token(live_server, tenant)) as user:
        created = user.post("/api/v1/referrals/codes", headers=headers)
        listed = user.get("/api/v1/referrals", headers=headers).json()["codes"]
    assert created.status_code == 201, created.text
    link = f"{base or live_server.base_url}/ui/signup?ref={created.json()['code']}"
    assert created.json()["link"] == link and listed[0]["link"] == link


def test_mail_links_are_on_the_address_up_serves_at_whatever_host_the_caller_names(backend, tmp_path):
    smtp = SmtpServer().start()
    try:
        with server_with_env(backend, tmp_path, **mail_env(smtp.port)) as server:
            invited, visitor = f"{uid('i-')}@example.test", f"{uid('v-')}@example.test"
            with server.client(login(server, server.first.owner_email, server.first.owner_password)) as owner:
                answer = owner.post("/api/v1/invitations", json={"email": invited}, headers=PROXIED).json()
            signup = {"email": visitor, "password": "a-long-password", "account_name": "V"}
            with server.client() as anonymous:
                assert anonymous.post("/api/v1/signup", json=signup, headers=PROXIED).status_code == 202
            invitation = link_in(smtp.mailbox.wait_for(invited, "Invitation to"), "/ui/invitation?token=")
            verification = link_in(smtp.mailbox.wait_for(visitor, "Confirm"), "/ui/verify?token=")
    finally:
        smtp.stop()
    assert answer["link"].startswith("https://pw.example.org/ui/invitation?token=")  # the answer: the caller's
    assert invitation == f"{server.base_url}/ui/invitation?token={answer['token']}"
    assert verification.startswith(f"{server.base_url}/ui/verify?token=")
