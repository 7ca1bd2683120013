"""Public sign-up with e-mail verification, password reset by mailed link, the waitlist of leads (P8) and
referral invites (P12). Every mail goes through the outbox.

- Waitlist: stores the person with the consent text they were shown, the time and the source; a
  confirmation with a one-click opt-out link is mailed.
- Sign-up: nothing is created until the address is verified: the verification link carries a one-time
  token (stored hashed) with the chosen password's hash; verifying creates the user, the account (owner
  role) and records the referrer, and turns a lead with that address into a customer.
- Answers never reveal whether an address is known (202 either way).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from ..errors import Forbidden, Gone, InvalidInput
from ..store import accounts as account_store
from ..store import billing as billing_store
from ..store import people as people_store
from .accounts import check_email
from .clock import utc_now
from .credentials import Caller, token_hash
from .mail import MailService
from .public_address import public_base
from .public_forms import PublicFormLimiter
from .runtime import Runtime

_SOURCE = re.compile(r"^[A-Za-z0-9:_.\-/]{1,100}$")
MIN_PASSWORD = 10


def mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


class SignupService:
    def __init__(self, runtime: Runtime, mail: MailService) -> None:
        self._rt = runtime
        self._mail = mail
        self._limiter = PublicFormLimiter(runtime)

    # waitlist (P8)
    def consent_text(self) -> dict:
        """The waitlist's consent text, whether it is open, and whether sign-up is (the sign-in page asks)."""
        settings = self._rt.settings
        return {
            "consent_text": settings.waitlist_consent_text,
            "enabled": settings.waitlist_enabled,
            "signup_enabled": settings.signup_enabled,
        }

    def join_waitlist(self, client: str, email: str, name, organisation, source: str, consent: bool) -> dict:
        settings = self._rt.settings
        if not settings.waitlist_enabled:
            raise Forbidden("the waitlist is closed on this instance")
        if not consent:
            raise InvalidInput("consent is needed to be contacted", field="consent")
        if not _SOURCE.match(source):
            raise InvalidInput("source: up to 100 letters, digits and :_.-/", field="source")
        email = check_email(email.strip()).lower()
        self._limiter.check("waitlist", client)
        now = utc_now()
        with self._rt.engine.begin() as conn:
            people_store.upsert_lead(
                conn,
                email,
                now,
                name=name,
                organisation=organisation,
                consent_text=settings.waitlist_consent_text,
                consented_at=now,
                source=source,
                status="waitlist",
                opted_out_at=None,
            )
            body = (
                "You are on the PromptWatch waitlist. We will write when there is room for you.\n\n"
                f"You agreed to: {settings.waitlist_consent_text}\n\n"
                f"Changed your mind? Leave the list with one click: {self._mail.lead_opt_out_url(email)}\n"
            )
            self._mail.enqueue(conn, "account", email, "You are on the PromptWatch waitlist", body)
        return {"status": "received"}

    def leads(self, status: str | None = None, limit: int = 500) -> list[dict]:
        with self._rt.engine.connect() as conn:
            return [dict(r) for r in people_store.list_leads(conn, status, limit)]

    # sign-up with verification
    def sign_up(self, client: str, email: str, password: str, account_name: str, referral_code: str | None) -> dict:
        settings = self._rt.settings
        if not settings.signup_enabled:
            raise Forbidden("sign-up is closed on this instance")
        email = check_email(email.strip()).lower()
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters", field="password")
        self._limiter.check("signup", client)
        now = utc_now()
        with self._rt.engine.begin() as conn:
            if referral_code and people_store.find_referral_code(conn, referral_code) is None:
                raise InvalidInput("unknown referral code", field="referral_code")
            if account_store.find_user_by_email(conn, email) is not None:
                body = (
                    "Someone (maybe you) tried to sign up to PromptWatch with this address, which already has "
                    f"an account. Forgot your password? Reset it at {public_base(settings)}/ui/reset\n"
                )
                self._mail.enqueue(conn, "account", email, "You already have a PromptWatch account", body)
                return {"status": "check your mail"}
            token = secrets.token_urlsafe(32)
            people_store.insert_action_token(
                conn,
                token_hash=token_hash(token),
                purpose="signup",
                email=email,
                payload={
                    "password_hash": self._rt.passwords.hash(password),
                    "account_name": account_name,
                    "referral_code": referral_code,
                },
                created_at=now,
                expires_at=now + timedelta(hours=settings.verification_token_hours),
            )
            body = (
                "Welcome to PromptWatch. Confirm your e-mail address to create your account:\n\n"
                f"{public_base(settings)}/ui/verify?token={token}\n\n"
                f"The link is valid for {settings.verification_token_hours} hours. "
                "If you did not sign up, ignore this mail: nothing is created without it.\n"
            )
            self._mail.enqueue(conn, "account", email, "Confirm your e-mail address", body)
        return {"status": "check your mail"}

    def verify(self, token: str) -> dict:
        now = utc_now()
        with self._rt.engine.begin() as conn:
            row = people_store.use_action_token(conn, token_hash(token), "signup", now)
            if row is None:
                raise Gone("this verification link is unknown, used or expired")
            email, payload = row["email"], row["payload"]
            if account_store.find_user_by_email(conn, email) is not None:
                raise Gone("this address already has an account; log in")
            user_id = account_store.create_user(conn, email, payload["password_hash"], now)
            account_id = account_store.create_account(conn, payload["account_name"], now)
            account_store.add_membership(conn, account_id, user_id, "owner", now)
            billing_store.set_plan(conn, account_id, "free", now)
            was_lead = people_store.lead_became_customer(conn, email, user_id, now)
            code = payload.get("referral_code")
            referrer = people_store.find_referral_code(conn, code) if code else None
            if referrer is not None:
                people_store.record_referral(conn, code, referrer["user_id"], user_id, now)
        return {
            "email": email,
            "user_id": user_id,
            "account_id": account_id,
            "was_lead": was_lead,
            "referred": referrer is not None,
        }

    # password reset
    def request_password_reset(self, client: str, email: str) -> dict:
        self._limiter.check("reset", client)
        settings = self._rt.settings
        now = utc_now()
        with self._rt.engine.begin() as conn:
            user = account_store.find_user_by_email(conn, email.strip())
            if user is not None and not user["disabled"]:
                token = secrets.token_urlsafe(32)
                people_store.insert_action_token(
                    conn,
                    token_hash=token_hash(token),
                    purpose="reset",
                    email=user["email"],
                    user_id=user["id"],
                    created_at=now,
                    expires_at=now + timedelta(minutes=settings.password_reset_minutes),
                )
                body = (
                    "Choose a new PromptWatch password here:\n\n"
                    f"{public_base(settings)}/ui/reset?token={token}\n\n"
                    f"The link works once, for {settings.password_reset_minutes} minutes. "
                    "If you did not ask for it, ignore this mail: your password stays as it is.\n"
                )
                self._mail.enqueue(conn, "account", user["email"], "Reset your PromptWatch password", body)
        return {"status": "if the address is known, a link is on its way"}

    def reset_password(self, token: str, password: str) -> dict:
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters", field="password")
        with self._rt.engine.begin() as conn:
            row = people_store.use_action_token(conn, token_hash(token), "reset", utc_now())
            if row is None or row["user_id"] is None:
                raise Gone("this reset link is unknown, used or expired")
            people_store.set_password_hash(conn, row["user_id"], self._rt.passwords.hash(password))
            self._rt.ledger.append({"kind": "password_changed", "at": utc_now(), "user_id": row["user_id"]})
        return {"status": "password changed; log in again everywhere"}

    # referrals (P12)
    def create_referral_code(self, caller: Caller, request_base: str) -> dict:
        """A new code; its link is on the address the request reached (`public_address`)."""
        if caller.user_id is None:
            raise Forbidden("referral codes belong to a person: log in")
        code = secrets.token_urlsafe(9)
        with self._rt.engine.begin() as conn:
            people_store.insert_referral_code(conn, code, caller.user_id, utc_now())
        return {"code": code, "link": f"{public_base(self._rt.settings, request_base)}/ui/signup?ref={code}"}

    def my_referrals(self, caller: Caller, request_base: str) -> dict:
        if caller.user_id is None:
            raise Forbidden("referrals belong to a person: log in")
        with self._rt.engine.connect() as conn:
            codes = people_store.codes_of(conn, caller.user_id)
            referred = people_store.referrals_of(conn, caller.user_id)
        link = public_base(self._rt.settings, request_base) + "/ui/signup?ref="
        return {
            "codes": [{"code": c["code"], "link": link + c["code"], "created_at": c["created_at"]} for c in codes],
            "referrals": [
                {"code": r["code"], "email": mask_email(r["email"]), "signed_up_at": r["created_at"]} for r in referred
            ],
        }

    def referral_counts(self) -> list[dict]:
        with self._rt.engine.connect() as conn:
            return [dict(r) for r in people_store.referral_counts(conn)]
