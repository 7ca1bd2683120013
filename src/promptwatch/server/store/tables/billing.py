"""Account and billing profiles, the plan of an account, and invoices with their lines.

Invoices and their lines carry `account_id` without a foreign key on purpose: billing law keeps them when
the account and the rest of its data are deleted. They copy the billing address they were issued to.
Numbers come from `invoice_counters`, taken in the transaction that issues the invoice (gapless).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from ..types import JsonDoc, UtcDateTime
from . import metadata
from .columns import SurrogateKey, surrogate_pk


def _account_pk():
    return Column("account_id", SurrogateKey, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)


account_profiles = Table(
    "account_profiles",
    metadata,
    _account_pk(),
    Column("name", String(200), nullable=True),
    Column("company", String(200), nullable=True),
    Column("address", Text, nullable=True),
    Column("contact_email", String(320), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

billing_profiles = Table(
    "billing_profiles",
    metadata,
    _account_pk(),
    Column("billing_name", String(200), nullable=True),
    Column("billing_address", Text, nullable=True),
    Column("country", String(2), nullable=True),
    Column("vat_id", String(50), nullable=True),
    Column("billing_email", String(320), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

account_plans = Table(
    "account_plans",
    metadata,
    _account_pk(),
    Column("plan", String(40), nullable=False),
    Column("since", UtcDateTime(), nullable=False),
)

invoice_counters = Table(
    "invoice_counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("last_number", Integer, nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    surrogate_pk("id"),
    Column("number", Integer, nullable=False, unique=True),
    Column("account_id", SurrogateKey, nullable=False),  # no foreign key: kept after account deletion
    Column("period", String(7), nullable=False),  # YYYY-MM
    Column("plan", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("bill_to", JsonDoc, nullable=False),
    Column("usage", JsonDoc, nullable=False),
    Column("subtotal_cents", BigInteger, nullable=False),
    Column("tax_rate_bp", Integer, nullable=False),  # basis points: 2100 = 21 %
    Column("tax_cents", BigInteger, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("tax_note", String(200), nullable=True),
    Column("issued_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "period"),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    surrogate_pk("id"),
    Column("invoice_id", SurrogateKey, ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", SurrogateKey, nullable=False),
    Column("position", Integer, nullable=False),
    Column("description", String(300), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("unit", String(40), nullable=False),
    Column("unit_price_cents", BigInteger, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Index("ix_invoice_lines_invoice", "invoice_id", "position"),
)
