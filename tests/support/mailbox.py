"""A real SMTP server (aiosmtpd) on 127.0.0.1 in the test process, and a PromptWatch server wired to it."""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import update

from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.tables.accounts import users
from tests.support.databases import fresh_database
from tests.support.server import TEST_ENV, LiveServer, free_port, provision

OPERATOR_PASSWORD = "operator-test-password"


class Mailbox:
    """Collects every message the SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"].lower() == address.lower()]

    def wait_for(self, address: str, subject_part: str = "", timeout: float = 15) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.to(address):
                if subject_part.lower() in message["Subject"].lower():
                    return message
            time.sleep(0.05)
        raise AssertionError(
            f"no mail to {address} about {subject_part!r}; got {[m['Subject'] for m in self.to(address)]}"
        )


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def body_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: EmailMessage, marker: str) -> str:
    found = re.search(r"(https?://\S*" + re.escape(marker) + r"\S*)", body_of(message))
    assert found, f"no link with {marker!r} in: {body_of(message)}"
    return found.group(1)


def token_in(message: EmailMessage) -> str:
    return re.search(r"token=([A-Za-z0-9_\-.%]+)", body_of(message)).group(1)


def mail_env(smtp_port: int, **extra: str) -> dict:
    return {
        "PROMPTWATCH_SMTP_HOST": "127.0.0.1",
        "PROMPTWATCH_SMTP_PORT": str(smtp_port),
        "PROMPTWATCH_SMTP_TLS": "none",
        "PROMPTWATCH_OUTBOX_POLL_SECONDS": "0.2",
        "PROMPTWATCH_OUTBOX_RETRY_SECONDS": "0.3",
        "PROMPTWATCH_SIGNUP_ENABLED": "true",
        "PROMPTWATCH_WAITLIST_ENABLED": "true",
        "PROMPTWATCH_PUBLIC_FORM_RATE_PER_HOUR": "1000",
        "PROMPTWATCH_USAGE_STATS_FLUSH_SECONDS": "0.2",
        **extra,
    }


def set_operator_password(server: LiveServer) -> None:
    settings = server.settings()
    engine = make_engine(server.database_url)
    from promptwatch.server.services.credentials import PasswordService

    hashed = PasswordService(settings.password_time_cost, settings.password_memory_cost).hash(OPERATOR_PASSWORD)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.instance_role == "operator").values(password_hash=hashed))
    engine.dispose()


def login(server: LiveServer, email_address: str, password: str) -> str:
    with server.client() as client:
        response = client.post("/api/v1/auth/login", json={"email": email_address, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["token"]


def operator_token(server: LiveServer) -> str:
    return login(server, "operator@localhost", OPERATOR_PASSWORD)


@contextmanager
def server_with_mail(backend: str, directory: Path, **extra_env: str):
    """A PromptWatch server of its own that sends through a real SMTP server; yields (server, mailbox)."""
    smtp = SmtpServer().start()
    with fresh_database(backend, directory) as url:
        server = provision(url, directory)
        server.extra_env = mail_env(smtp.port, **extra_env)
        server.extra_env.setdefault("PROMPTWATCH_PUBLIC_URL", server.base_url)
        set_operator_password(server)
        server.start()
        try:
            yield server, smtp.mailbox
        finally:
            server.stop()
            smtp.stop()


__all__ = ["TEST_ENV", "Mailbox", "SmtpServer", "server_with_mail", "operator_token", "login", "link_in", "body_of"]


def new_tenant(server: LiveServer, name: str = "other"):
    """`server.new_tenant` from this test process, retried when SQLite reports the database locked (its
    read-then-write transaction loses to the server's own writes now and then)."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(5):
        try:
            return server.new_tenant(name)
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.2)
