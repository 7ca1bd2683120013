"""Account and billing profiles, plans, monthly usage metering and invoices (P7).

Only owners edit the billing profile. Usage per month: tracked model calls, LLM and embeddings (from the
hourly roll-ups), stored bytes (payloads as stored now) and seats (memberships). An invoice copies its
bill-to address and usage, takes the next gapless number in the same transaction that stores it, and
survives the account's deletion (billing law). Its PDF is rendered from the stored invoice whenever asked.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..store import accounts as account_store
from ..store import billing as billing_store
from .clock import utc_now
from .credentials import Caller
from .invoice_pdf import money, render_invoice
from .mail import MailService
from .plans import PLANS, Plan, invoice_lines
from .public_address import public_base
from .runtime import Runtime

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PROFILE_FIELDS = ("name", "company", "address", "contact_email")
BILLING_FIELDS = ("billing_name", "billing_address", "country", "vat_id", "billing_email")


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """The month `YYYY-MM` (0001-01 to 9999-12) as [start, end); December 9999 ends at the calendar's end."""
    match = _PERIOD.match(period or "")
    if not match or match[1] == "0000":
        raise InvalidInput("period must be YYYY-MM, from 0001-01 to 9999-12", field="period")
    year, month = int(match[1]), int(match[2])
    start = datetime(year, month, 1, tzinfo=timezone.utc)
    if (year, month) == (9999, 12):
        return start, datetime.max.replace(tzinfo=timezone.utc)
    return start, datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=timezone.utc)


class BillingService:
    def __init__(self, runtime: Runtime, mail: MailService) -> None:
        self._rt = runtime
        self._mail = mail

    # profiles
    def account_profile(self, caller: Caller) -> dict:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            row = billing_store.account_profile(conn, caller.account_id)
            account = account_store.get_account(conn, caller.account_id)
        return {"account_id": caller.account_id, "account_name": account["name"], **_fields(row, PROFILE_FIELDS)}

    def update_account_profile(self, caller: Caller, values: dict) -> dict:
        caller.require_role("admin", account_wide=True)
        with self._rt.engine.begin() as conn:
            current = _fields(billing_store.account_profile(conn, caller.account_id), PROFILE_FIELDS)
            billing_store.save_account_profile(conn, caller.account_id, {**current, **values, "updated_at": utc_now()})
        return self.account_profile(caller)

    def billing_profile(self, caller: Caller) -> dict:
        caller.require_role("admin", account_wide=True)
        with self._rt.engine.connect() as conn:
            row = billing_store.billing_profile(conn, caller.account_id)
        return {"account_id": caller.account_id, **_fields(row, BILLING_FIELDS)}

    def update_billing_profile(self, caller: Caller, values: dict) -> dict:
        caller.require_role("admin", account_wide=True)
        if caller.role != "owner":
            raise Forbidden("only an owner of the account edits its billing profile")
        if values.get("country") is not None:
            values["country"] = values["country"].upper()
        with self._rt.engine.begin() as conn:
            current = _fields(billing_store.billing_profile(conn, caller.account_id), BILLING_FIELDS)
            billing_store.save_billing_profile(conn, caller.account_id, {**current, **values, "updated_at": utc_now()})
        return self.billing_profile(caller)

    # plans and metering
    def plans(self) -> list[dict]:
        return [self._priced(p) for p in PLANS.values()]

    def _priced(self, plan: Plan) -> dict:
        """A plan with the currency its fees are in: the instance's invoice currency."""
        return {**plan.as_dict(), "currency": self._rt.settings.invoice_currency.upper()}

    def plan_of(self, account_id: int) -> str:
        with self._rt.engine.connect() as conn:
            row = billing_store.plan_of(conn, account_id)
        return row["plan"] if row else "free"

    def account_plan(self, caller: Caller) -> dict:
        caller.require("read")
        return self._priced(PLANS[self.plan_of(caller.account_id)])

    def set_plan(self, account_id: int, plan: str) -> dict:
        if plan not in PLANS:
            raise InvalidInput(f"plan must be one of {', '.join(PLANS)}", field="plan")
        with self._rt.engine.begin() as conn:
            if not billing_store.account_exists(conn, account_id):
                raise NotFound(f"no account {account_id}")
            billing_store.set_plan(conn, account_id, plan, utc_now())
        return {"account_id": account_id, "plan": plan}

    def usage(self, account_id: int, period: str) -> dict:
        start, end = month_bounds(period)
        with self._rt.engine.connect() as conn:
            return {
                "period": period,
                "llm_calls": billing_store.llm_calls(conn, account_id, start, end),
                "stored_bytes": billing_store.stored_bytes(conn, account_id),
                "seats": billing_store.seats(conn, account_id),
            }

    def my_usage(self, caller: Caller, period: str | None) -> dict:
        caller.require("read")
        return self.usage(caller.account_id, period or f"{utc_now():%Y-%m}")

    # invoices
    def issue_invoice(self, account_id: int, period: str) -> dict:
        """Issue the account's invoice for a month (once); mail the billing contact (a billing notice)."""
        start, _ = month_bounds(period)
        if start > utc_now():
            raise InvalidInput("that month has not started", field="period")
        settings = self._rt.settings
        plan = PLANS[self.plan_of(account_id)]
        usage = self.usage(account_id, period)
        lines = invoice_lines(plan, period, usage)
        subtotal = sum(line["amount_cents"] for line in lines)
        now = utc_now()
        try:
            with self._rt.engine.begin() as conn:
                account = account_store.get_account(conn, account_id)
                if account is None:
                    raise NotFound(f"no account {account_id}")
                if billing_store.invoice_for_period(conn, account_id, period) is not None:
                    raise Conflict(f"account {account_id} already has an invoice for {period}")
                profile = billing_store.billing_profile(conn, account_id) or {}
                bill_to = {
                    "name": profile.get("billing_name") or account["name"],
                    "address": profile.get("billing_address"),
                    "country": profile.get("country"),
                    "vat_id": profile.get("vat_id"),
                    "email": profile.get("billing_email"),
                }
                rate_bp, note = self._tax(bill_to)
                tax = (subtotal * rate_bp + 5000) // 10000
                number = billing_store.take_invoice_number(conn)
                billing_store.insert_invoice(
                    conn,
                    {
                        "number": number,
                        "account_id": account_id,
                        "period": period,
                        "plan": plan.code,
                        "currency": settings.invoice_currency.upper(),
                        "bill_to": bill_to,
                        "usage": usage,
                        "subtotal_cents": subtotal,
                        "tax_rate_bp": rate_bp,
                        "tax_cents": tax,
                        "total_cents": subtotal + tax,
                        "tax_note": note,
                        "issued_at": now,
                    },
                    lines,
                )
                recipients = [bill_to["email"]] if bill_to["email"] else billing_store.owner_emails(conn, account_id)
                text = self.number_text(number)
                total = money(subtotal + tax, settings.invoice_currency.upper())
                for email in recipients:
                    self._mail.enqueue(
                        conn,
                        "billing",
                        email,
                        f"Invoice {text} for {period}",
                        f"Your PromptWatch invoice {text} for {period} totals {total}.\n"
                        f"Download it: {public_base(settings)}/ui/invoices/{number}\n",
                    )
        except IntegrityError:  # another worker issued this account's invoice for the period first
            raise Conflict(f"account {account_id} already has an invoice for {period}") from None
        return self.invoice(number)

    def issue_all(self, period: str) -> list[dict]:
        with self._rt.engine.connect() as conn:
            account_ids = billing_store.standard_account_ids(conn)
        issued = []
        for account_id in account_ids:
            try:
                issued.append(self.issue_invoice(account_id, period))
            except Conflict:
                continue
        return issued

    def _tax(self, bill_to: dict) -> tuple[int, str | None]:
        settings = self._rt.settings
        issuer_country = (settings.invoice_issuer_country or "").upper()
        if bill_to["vat_id"] and bill_to["country"] and issuer_country and bill_to["country"] != issuer_country:
            return 0, f"Reverse charge: VAT is accounted for by the recipient (VAT id {bill_to['vat_id']})."
        return round(settings.invoice_tax_rate_percent * 100), None

    def number_text(self, number: int) -> str:
        return f"{self._rt.settings.invoice_prefix}{number:06d}"

    def invoice(self, number: int, account_id: int | None = None) -> dict:
        with self._rt.engine.connect() as conn:
            row = billing_store.get_invoice(conn, number, account_id)
            if row is None:
                raise NotFound(f"no invoice {number}")
            lines = billing_store.lines_of(conn, row["id"])
        keep = ("description", "quantity", "unit", "unit_price_cents", "amount_cents")
        return {
            **{k: v for k, v in dict(row).items() if k != "id"},
            "number_text": self.number_text(row["number"]),
            "lines": [{k: line[k] for k in keep} for line in lines],
        }

    def invoices(self, account_id: int | None) -> list[dict]:
        with self._rt.engine.connect() as conn:
            rows = billing_store.list_invoices(conn, account_id)
        fields = ("number", "account_id", "period", "plan", "currency", "total_cents", "issued_at")
        return [{**{k: r[k] for k in fields}, "number_text": self.number_text(r["number"])} for r in rows]

    def my_invoices(self, caller: Caller) -> list[dict]:
        caller.require_role("admin", account_wide=True)
        return self.invoices(caller.account_id)

    def my_invoice(self, caller: Caller, number: int) -> dict:
        caller.require_role("admin", account_wide=True)
        return self.invoice(number, caller.account_id)

    def pdf(self, number: int, account_id: int | None = None) -> tuple[str, bytes]:
        invoice = self.invoice(number, account_id)
        text = invoice["number_text"]
        return f"{text}.pdf", render_invoice(invoice, invoice["lines"], self._rt.settings.invoice_issuer, text)

    def my_pdf(self, caller: Caller, number: int) -> tuple[str, bytes]:
        caller.require_role("admin", account_wide=True)
        return self.pdf(number, caller.account_id)


def _fields(row, names: tuple[str, ...]) -> dict:
    return {name: (row[name] if row else None) for name in names}
