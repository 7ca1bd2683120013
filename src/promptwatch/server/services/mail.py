"""The outbox: every mail the instance sends is queued here and sent by the outbox worker over SMTP.

Categories: `product_news` and `promotions` are promotional: each is checked against the recipient's
contact preferences when it is sent, not when it was queued (P6), and carries a one-click unsubscribe
link and `List-Unsubscribe` headers (RFC 8058). `billing`, `legal` and `account` mail always goes (P17).
Failed deliveries are retried with a doubling delay, then marked failed. Message bodies are cleared once
a message is finished: the outbox keeps who was mailed what subject, not one-time links.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import quote

from sqlalchemy import Connection

from ..errors import Forbidden, InvalidInput
from ..store import accounts as account_store
from ..store import mail as mail_store
from ..store import people as people_store
from ..store.locks import try_job_lock
from ..store.tables.mail import CATEGORIES, PROMOTIONAL
from .clock import utc_now
from .credentials import Caller
from .public_address import public_base
from .runtime import Runtime, instance_secret
from .signed_links import LinkSigner
from .smtp import SmtpNotConfigured, deliver

log = logging.getLogger("promptwatch.outbox")
BATCH = 50
UNSUBSCRIBE = "unsubscribe"
LEAD_OPT_OUT = "lead-opt-out"
LEASE_SECONDS = 600  # a claimed message is tried again after this if its sender died


class MailService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self.links = LinkSigner(instance_secret(runtime.settings))

    # queueing
    def enqueue(self, conn: Connection, category: str, to: str, subject: str, body: str) -> int:
        """Queue a message in the caller's transaction (so it goes only if that transaction commits)."""
        if category not in CATEGORIES:
            raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}", field="category")
        return mail_store.enqueue(conn, category, to.strip(), subject, body, utc_now())

    def queue(self, category: str, to: str, subject: str, body: str) -> int:
        with self._rt.engine.begin() as conn:
            return self.enqueue(conn, category, to, subject, body)

    def send_invitation_mail(
        self,
        to_email: str,
        *,
        account_name: str,
        accept_url: str,
        inviter_email: str | None = None,
        expires_at: datetime | None = None,
        conn: Connection | None = None,
    ) -> int:
        """Queue the invitation to join an account (an account mail: not subject to marketing opt-outs).
        Pass `conn` to queue it in the transaction that creates the invitation. Returns the outbox id."""
        who = f"{inviter_email} invited you" if inviter_email else "You are invited"
        until = f"\nThe invitation is valid until {expires_at:%Y-%m-%d %H:%M} UTC.\n" if expires_at else "\n"
        body = f"{who} to join the account {account_name!r} on PromptWatch.\n\nAccept: {accept_url}\n{until}"
        subject = f"Invitation to {account_name} on PromptWatch"
        if conn is not None:
            return self.enqueue(conn, "account", to_email, subject, body)
        return self.queue("account", to_email, subject, body)

    def broadcast(self, category: str, subject: str, body: str, audience: str) -> int:
        """Queue a promotional message to every user and/or lead; preferences are applied at send time."""
        if category not in PROMOTIONAL:
            raise InvalidInput("broadcasts are promotional: product_news or promotions", field="category")
        with self._rt.engine.begin() as conn:
            recipients = set()
            if audience in ("users", "all"):
                recipients |= {e.lower() for e in people_store.active_user_emails(conn)}
            if audience in ("leads", "all"):
                recipients |= {lead["email"] for lead in people_store.list_leads(conn, "waitlist", 1_000_000)}
            for email in sorted(recipients):
                self.enqueue(conn, category, email, subject, body)
        return len(recipients)

    # contact preferences (P6, P17)
    def preferences_of(self, email: str) -> dict:
        with self._rt.engine.connect() as conn:
            row = mail_store.get_preferences(conn, email)
        return {
            "email": email.lower(),
            "product_news": row["product_news"] if row else True,
            "promotions": row["promotions"] if row else True,
            "billing": True,
            "legal": True,
            "updated_at": row["updated_at"] if row else None,
        }

    def my_preferences(self, caller: Caller) -> dict:
        return self.preferences_of(self._email_of(caller))

    def set_my_preferences(self, caller: Caller, choices: dict) -> dict:
        if choices.get("billing") is False or choices.get("legal") is False:
            raise InvalidInput("billing and legal notices cannot be turned off", field="billing")
        email = self._email_of(caller)
        wanted = {k: v for k, v in choices.items() if k in PROMOTIONAL and v is not None}
        with self._rt.engine.begin() as conn:
            mail_store.set_preferences(conn, email, utc_now(), **wanted)
        return self.preferences_of(email)

    def _email_of(self, caller: Caller) -> str:
        if caller.user_id is None:
            raise Forbidden("contact preferences belong to a person: log in")
        with self._rt.engine.connect() as conn:
            return account_store.get_user(conn, caller.user_id)["email"]

    def unsubscribe_url(self, email: str) -> str:
        token = quote(self.links.sign(UNSUBSCRIBE, email))
        return f"{public_base(self._rt.settings)}/api/v1/unsubscribe?token={token}"

    def lead_opt_out_url(self, email: str) -> str:
        token = quote(self.links.sign(LEAD_OPT_OUT, email))
        return f"{public_base(self._rt.settings)}/api/v1/unsubscribe?token={token}"

    def unsubscribe(self, token: str) -> dict:
        """One click, no log-in: turn promotional mail off (and take a lead off the waitlist)."""
        purpose, email = self.links.verify(token, (UNSUBSCRIBE, LEAD_OPT_OUT))
        now = utc_now()
        with self._rt.engine.begin() as conn:
            mail_store.set_preferences(conn, email, now, product_news=False, promotions=False)
            lead_opted_out = people_store.opt_out_lead(conn, email, now)
        return {"email": email, "product_news": False, "promotions": False, "left_waitlist": lead_opted_out}

    # sending (the outbox worker calls this)
    def send_due(self) -> int:
        """Claim due messages (one worker at a time on PostgreSQL), send each outside any transaction, then
        record the outcome. Returns how many messages were claimed."""
        if not self._rt.settings.smtp_host:
            return 0  # nowhere to send: mail waits in the outbox
        now = utc_now()
        with self._rt.engine.begin() as conn:
            if not try_job_lock(conn, "outbox"):
                return 0
            claimed = mail_store.claim_due(conn, now, now + timedelta(seconds=LEASE_SECONDS), BATCH)
        for message in claimed:
            self._send_one(message)
        return len(claimed)

    def _send_one(self, message) -> None:
        if message["category"] in PROMOTIONAL:  # the recipient's choice now, not when it was queued (P6)
            with self._rt.engine.connect() as conn:
                prefs = mail_store.get_preferences(conn, message["recipient"])
            if prefs is not None and not prefs[message["category"]]:
                with self._rt.engine.begin() as conn:
                    mail_store.finish(conn, message["id"], "suppressed", utc_now(), "the recipient opted out")
                return
        try:
            deliver(self._rt.settings, self._compose(message))
        except SmtpNotConfigured:
            with self._rt.engine.begin() as conn:  # keep it queued, look again next round
                mail_store.release(conn, message["id"], utc_now() + timedelta(minutes=1))
            return
        except (smtplib.SMTPException, OSError) as exc:
            self._failed(message, f"{type(exc).__name__}: {exc}"[:500])
            return
        with self._rt.engine.begin() as conn:
            mail_store.finish(conn, message["id"], "sent", utc_now())

    def _failed(self, message, error: str) -> None:
        attempts = message["attempts"] + 1
        now = utc_now()
        with self._rt.engine.begin() as conn:
            if attempts >= self._rt.settings.outbox_max_attempts:
                mail_store.finish(conn, message["id"], "failed", now, error)
                log.warning("mail %s failed after %d attempts: %s", message["id"], attempts, error)
                return
            delay = min(self._rt.settings.outbox_retry_seconds * 2 ** (attempts - 1), 3600)
            mail_store.retry_later(conn, message["id"], now + timedelta(seconds=delay), error)

    def _compose(self, message) -> EmailMessage:
        settings = self._rt.settings
        mail = EmailMessage()
        mail["From"] = settings.mail_from
        mail["To"] = message["recipient"]
        mail["Subject"] = message["subject"]
        mail["Date"] = format_datetime(utc_now())
        mail["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:12], domain="promptwatch.local")
        mail["X-PromptWatch-Category"] = message["category"]
        body = message["body"] or ""
        if message["category"] in PROMOTIONAL:
            url = self.unsubscribe_url(message["recipient"])
            mail["List-Unsubscribe"] = f"<{url}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            body += f"\n\n--\nYou get this because you did not opt out. Unsubscribe with one click: {url}\n"
        mail.set_content(body)
        return mail

    # operator views
    def outbox(self, status: str | None = None, limit: int = 100) -> dict:
        with self._rt.engine.connect() as conn:
            return {
                "counts": mail_store.count_by_status(conn),
                "items": [dict(r) for r in mail_store.list_messages(conn, status, limit)],
            }
