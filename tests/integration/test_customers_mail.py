"""The outbox and contact preferences (P6, P17) against a real SMTP server on 127.0.0.1: promotional mail
carries a one-click unsubscribe link and List-Unsubscribe headers, preferences are checked when a message
is sent (not when it was queued), billing and legal notices always go, failed sends are retried."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from promptwatch.server.services.clock import utc_now
from promptwatch.server.store import mail as mail_store
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.tables.mail import outbox
from tests.support.databases import fresh_database
from tests.support.mailbox import (
    SmtpServer,
    body_of,
    link_in,
    login,
    mail_env,
    new_tenant,
    operator_token,
    server_with_mail,
)
from tests.support.server import provision


@pytest.fixture(scope="module")
def mailed(backend, tmp_path_factory):
    with server_with_mail(backend, tmp_path_factory.mktemp(f"mail-{backend}")) as (server, mailbox):
        yield server, mailbox


def queue(server, category: str, to: str, subject: str, body: str = "hello", delay: float = 0.0) -> int:
    engine = make_engine(server.database_url)
    with engine.begin() as conn:
        message_id = mail_store.enqueue(conn, category, to, subject, body, utc_now())
        later = utc_now() + timedelta(seconds=delay)
        conn.execute(update(outbox).where(outbox.c.id == message_id).values(next_attempt_at=later))
    engine.dispose()
    return message_id


def message_row(server, message_id: int) -> dict:
    engine = make_engine(server.database_url)
    with engine.connect() as conn:
        row = dict(conn.execute(select(outbox).where(outbox.c.id == message_id)).mappings().one())
    engine.dispose()
    return row


def wait_status(server, message_id: int, statuses=("sent", "suppressed", "failed"), timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = message_row(server, message_id)
        if row["status"] in statuses:
            return row
        time.sleep(0.1)
    raise AssertionError(f"message {message_id} still {row['status']}")


def new_person(server):
    tenant = new_tenant(server, "mail")
    return tenant, login(server, tenant.owner_email, tenant.owner_password)


def test_p6_promotional_mail_has_one_click_unsubscribe_that_stops_the_next_one(mailed):
    server, mailbox = mailed
    tenant, _ = new_person(server)
    op = operator_token(server)
    with server.client(op) as operator:
        sent = operator.post(
            "/api/v1/operator/mail",
            json={"category": "product_news", "subject": "New: replay", "body": "Replay is here.", "audience": "users"},
        )
        assert sent.status_code == 202 and sent.json()["queued"] >= 1
    message = mailbox.wait_for(tenant.owner_email, "New: replay")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header_url = message["List-Unsubscribe"].strip("<>")
    assert link_in(message, "/api/v1/unsubscribe?token=") == header_url
    with httpx.Client(timeout=10) as browser:  # no credentials, no cookies: one click
        clicked = browser.get(header_url)
    assert clicked.status_code == 200 and "no more product news" in clicked.text
    assert "set-cookie" not in clicked.headers
    with server.client(op) as operator:
        operator.post(
            "/api/v1/operator/mail",
            json={"category": "product_news", "subject": "Second news", "body": "More.", "audience": "users"},
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            items = operator.get("/api/v1/operator/outbox").json()["items"]
            mine = [m for m in items if m["recipient"] == tenant.owner_email.lower() and m["subject"] == "Second news"]
            if mine and mine[0]["status"] != "queued":
                break
            time.sleep(0.1)
    assert mine[0]["status"] == "suppressed"
    assert [m["Subject"] for m in mailbox.to(tenant.owner_email)] == ["New: replay"]


def test_p6_preferences_are_checked_when_sending_not_when_queued(mailed):
    server, mailbox = mailed
    tenant, token = new_person(server)
    message_id = queue(server, "promotions", tenant.owner_email, "Spring offer", delay=1.5)
    with server.client(token) as me:
        assert me.get("/api/v1/me/contact-preferences").json()["promotions"] is True
        changed = me.put("/api/v1/me/contact-preferences", json={"promotions": False})
        assert changed.status_code == 200 and changed.json()["promotions"] is False
        assert changed.json()["product_news"] is True
    row = wait_status(server, message_id)
    assert row["status"] == "suppressed" and row["body"] is None
    assert mailbox.to(tenant.owner_email) == []
    news_id = queue(server, "product_news", tenant.owner_email, "News still welcome")
    assert wait_status(server, news_id)["status"] == "sent"
    mailbox.wait_for(tenant.owner_email, "News still welcome")


def test_p17_billing_and_legal_notices_go_despite_opting_out_of_everything(mailed):
    server, mailbox = mailed
    tenant, token = new_person(server)
    with server.client(token) as me:
        assert me.put("/api/v1/me/contact-preferences", json={"product_news": False, "promotions": False}).is_success
        refused = me.put("/api/v1/me/contact-preferences", json={"billing": False})
        assert refused.status_code == 422
        legal_off = me.put("/api/v1/me/contact-preferences", json={"legal": False})
        assert legal_off.status_code == 422
        prefs = me.get("/api/v1/me/contact-preferences").json()
        assert prefs["billing"] is True and prefs["legal"] is True
    ids = [
        queue(server, "billing", tenant.owner_email, "Your invoice"),
        queue(server, "legal", tenant.owner_email, "Policy change"),
        queue(server, "promotions", tenant.owner_email, "Offer"),
    ]
    assert [wait_status(server, i)["status"] for i in ids] == ["sent", "sent", "suppressed"]
    mailbox.wait_for(tenant.owner_email, "Your invoice")
    mailbox.wait_for(tenant.owner_email, "Policy change")
    billing = mailbox.wait_for(tenant.owner_email, "Your invoice")
    assert "List-Unsubscribe" not in billing  # not promotional: nothing to unsubscribe from
    assert sorted(m["Subject"] for m in mailbox.to(tenant.owner_email)) == ["Policy change", "Your invoice"]


def test_p6_one_click_post_and_forged_tokens(mailed):
    server, mailbox = mailed
    tenant, token = new_person(server)
    queue(server, "product_news", tenant.owner_email, "Click me")
    message = mailbox.wait_for(tenant.owner_email, "Click me")
    url = message["List-Unsubscribe"].strip("<>")
    with httpx.Client(timeout=10) as mail_client:  # what a mail client does for List-Unsubscribe-Post
        done = mail_client.post(url, content=b"List-Unsubscribe=One-Click")
        assert done.status_code == 200 and done.json()["product_news"] is False
        forged = mail_client.post(url[:-3] + "abc", content=b"List-Unsubscribe=One-Click")
        assert forged.status_code == 422
    with server.client(token) as me:
        prefs = me.get("/api/v1/me/contact-preferences").json()
        assert prefs["product_news"] is False and prefs["promotions"] is False


def test_sent_messages_keep_no_body(mailed):
    server, mailbox = mailed
    tenant, _ = new_person(server)
    message_id = queue(server, "account", tenant.owner_email, "One-time link", body="secret-link-123")
    row = wait_status(server, message_id)
    assert row["status"] == "sent" and row["body"] is None and row["finished_at"] is not None
    assert "secret-link-123" in body_of(mailbox.wait_for(tenant.owner_email, "One-time link"))


def test_outbox_retries_until_the_smtp_server_answers(backend, tmp_path):
    smtp = SmtpServer()  # its port is chosen but nothing listens yet
    with fresh_database(backend, tmp_path) as url:
        server = provision(url, tmp_path)
        server.extra_env = mail_env(smtp.port)
        server.start()
        try:
            message_id = queue(server, "account", "retry@example.test", "Patience")
            deadline = time.monotonic() + 15
            while message_row(server, message_id)["attempts"] < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            failing = message_row(server, message_id)
            assert failing["status"] == "queued" and failing["attempts"] >= 2 and failing["last_error"]
            smtp.start()
            try:
                sent = wait_status(server, message_id, timeout=30)
                assert sent["status"] == "sent"
                smtp.mailbox.wait_for("retry@example.test", "Patience")
            finally:
                smtp.stop()
        finally:
            server.stop()
