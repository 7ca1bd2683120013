"""Handing one message to the configured SMTP server (host, port, TLS, credentials from the settings)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from ..settings import Settings

TIMEOUT_SECONDS = 15


class SmtpNotConfigured(RuntimeError):
    """No SMTP host is set: mail stays queued."""


def deliver(settings: Settings, message: EmailMessage) -> None:
    """Send or raise (smtplib.SMTPException / OSError): the outbox retries later."""
    if not settings.smtp_host:
        raise SmtpNotConfigured("PROMPTWATCH_SMTP_HOST is not set")
    context = ssl.create_default_context()
    if settings.smtp_tls == "ssl":
        client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
    with client:
        if settings.smtp_tls == "starttls":
            client.starttls(context=context)
        if settings.smtp_username:
            client.login(settings.smtp_username, settings.smtp_password or "")
        client.send_message(message)
