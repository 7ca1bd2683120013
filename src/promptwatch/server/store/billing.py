"""Reading and writing account and billing profiles, plans, monthly usage figures and invoices.

Invoice numbers are gapless per instance: `take_invoice_number` increments one counter row inside the
transaction that inserts the invoice. On PostgreSQL the row lock serialises concurrent issuers across
workers; a rolled-back issue gives its number back. SQLite has one writer at a time anyway.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from .dialect import insert_for
from .tables.accounts import accounts, memberships, users
from .tables.activities import activity_bodies
from .tables.billing import account_plans, account_profiles, billing_profiles, invoice_counters, invoice_lines, invoices
from .tables.usage import usage_hourly

INVOICE_COUNTER = "invoice"


def get_profile(conn: Connection, table, account_id: int) -> RowMapping | None:
    return conn.execute(select(table).where(table.c.account_id == account_id)).mappings().first()


def account_profile(conn: Connection, account_id: int) -> RowMapping | None:
    return get_profile(conn, account_profiles, account_id)


def billing_profile(conn: Connection, account_id: int) -> RowMapping | None:
    return get_profile(conn, billing_profiles, account_id)


def _upsert(conn: Connection, table, account_id: int, values: dict) -> None:
    statement = insert_for(conn, table).values(account_id=account_id, **values)
    conn.execute(statement.on_conflict_do_update(index_elements=["account_id"], set_=values))


def save_account_profile(conn: Connection, account_id: int, values: dict) -> None:
    _upsert(conn, account_profiles, account_id, values)


def save_billing_profile(conn: Connection, account_id: int, values: dict) -> None:
    _upsert(conn, billing_profiles, account_id, values)


def plan_of(conn: Connection, account_id: int) -> RowMapping | None:
    return get_profile(conn, account_plans, account_id)


def set_plan(conn: Connection, account_id: int, plan: str, now: datetime) -> None:
    _upsert(conn, account_plans, account_id, {"plan": plan, "since": now})


def account_exists(conn: Connection, account_id: int) -> bool:
    return conn.execute(select(accounts.c.id).where(accounts.c.id == account_id)).first() is not None


def standard_account_ids(conn: Connection) -> list[int]:
    return list(
        conn.execute(select(accounts.c.id).where(accounts.c.kind == "standard").order_by(accounts.c.id)).scalars()
    )


def owner_emails(conn: Connection, account_id: int) -> list[str]:
    query = (
        select(users.c.email)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(memberships.c.account_id == account_id, memberships.c.role == "owner")
        .order_by(users.c.email)
    )
    return list(conn.execute(query).scalars())


# metering
def llm_calls(conn: Connection, account_id: int, start: datetime, end: datetime) -> int:
    query = select(func.coalesce(func.sum(usage_hourly.c.calls), 0)).where(
        usage_hourly.c.account_id == account_id, usage_hourly.c.hour >= start, usage_hourly.c.hour < end
    )
    return int(conn.execute(query).scalar_one())


def stored_bytes(conn: Connection, account_id: int) -> int:
    query = select(func.coalesce(func.sum(func.length(activity_bodies.c.body)), 0)).where(
        activity_bodies.c.account_id == account_id
    )
    return int(conn.execute(query).scalar_one())


def seats(conn: Connection, account_id: int) -> int:
    query = select(func.count()).select_from(memberships).where(memberships.c.account_id == account_id)
    return int(conn.execute(query).scalar_one())


# invoices (kept for billing law: no foreign key to the account)
def take_invoice_number(conn: Connection) -> int:
    conn.execute(
        insert_for(conn, invoice_counters)
        .values(name=INVOICE_COUNTER, last_number=0)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return conn.execute(
        update(invoice_counters)
        .where(invoice_counters.c.name == INVOICE_COUNTER)
        .values(last_number=invoice_counters.c.last_number + 1)
        .returning(invoice_counters.c.last_number)
    ).scalar_one()


def invoice_for_period(conn: Connection, account_id: int, period: str) -> RowMapping | None:
    return (
        conn.execute(select(invoices).where(invoices.c.account_id == account_id, invoices.c.period == period))
        .mappings()
        .first()
    )


def insert_invoice(conn: Connection, values: dict, lines: list[dict]) -> int:
    invoice_id = conn.execute(insert(invoices).values(**values).returning(invoices.c.id)).scalar_one()
    for position, line in enumerate(lines, 1):
        conn.execute(
            insert(invoice_lines).values(
                invoice_id=invoice_id, account_id=values["account_id"], position=position, **line
            )
        )
    return invoice_id


def get_invoice(conn: Connection, number: int, account_id: int | None = None) -> RowMapping | None:
    query = select(invoices).where(invoices.c.number == number)
    if account_id is not None:
        query = query.where(invoices.c.account_id == account_id)
    return conn.execute(query).mappings().first()


def lines_of(conn: Connection, invoice_id: int) -> list[RowMapping]:
    query = select(invoice_lines).where(invoice_lines.c.invoice_id == invoice_id).order_by(invoice_lines.c.position)
    return list(conn.execute(query).mappings())


def list_invoices(conn: Connection, account_id: int | None, limit: int = 500) -> list[RowMapping]:
    query = select(invoices)
    if account_id is not None:
        query = query.where(invoices.c.account_id == account_id)
    return list(conn.execute(query.order_by(invoices.c.number.desc()).limit(limit)).mappings())


def plan_volumes(conn: Connection, start: datetime, end: datetime) -> list[RowMapping]:
    """Accounts and LLM calls per plan in a period (operator volume statistics, before group-size checks)."""
    calls = (
        select(usage_hourly.c.account_id, func.sum(usage_hourly.c.calls).label("calls"))
        .where(usage_hourly.c.hour >= start, usage_hourly.c.hour < end)
        .group_by(usage_hourly.c.account_id)
        .subquery()
    )
    plan = func.coalesce(account_plans.c.plan, "free").label("plan")
    query = (
        select(
            plan, func.count(accounts.c.id).label("accounts"), func.coalesce(func.sum(calls.c.calls), 0).label("calls")
        )
        .select_from(accounts)
        .outerjoin(account_plans, account_plans.c.account_id == accounts.c.id)
        .outerjoin(calls, calls.c.account_id == accounts.c.id)
        .where(accounts.c.kind == "standard")
        .group_by(plan)
    )
    return list(conn.execute(query).mappings())
