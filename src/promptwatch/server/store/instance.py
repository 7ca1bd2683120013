"""What operator staff may see of the instance: accounts (with their plan) without content, and volumes per account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, func, select, update

from .tables.accounts import accounts, memberships, users
from .tables.activities import activities
from .tables.billing import account_plans
from .tables.sessions import sessions
from .tables.usage import usage_hourly


def list_accounts(conn: Connection) -> list[RowMapping]:
    members = (
        select(memberships.c.account_id, func.count().label("members")).group_by(memberships.c.account_id).subquery()
    )
    query = (
        select(
            accounts.c.id,
            accounts.c.name,
            accounts.c.kind,
            accounts.c.created_at,
            accounts.c.expires_at,
            func.coalesce(members.c.members, 0).label("members"),
            func.coalesce(account_plans.c.plan, "free").label("plan"),
        )
        .outerjoin(members, members.c.account_id == accounts.c.id)
        .outerjoin(account_plans, account_plans.c.account_id == accounts.c.id)
        .order_by(accounts.c.id)
    )
    return list(conn.execute(query).mappings())


def counts_per_account(conn: Connection, table, column="account_id") -> dict[int, int]:
    query = select(table.c[column], func.count()).group_by(table.c[column])
    return {account_id: count for account_id, count in conn.execute(query)}


def sessions_per_account(conn: Connection) -> dict[int, int]:
    return counts_per_account(conn, sessions)


def activities_per_account(conn: Connection) -> dict[int, int]:
    return counts_per_account(conn, activities)


def llm_usage_per_account(conn: Connection, since: datetime | None) -> dict[int, RowMapping]:
    query = select(
        usage_hourly.c.account_id,
        func.sum(usage_hourly.c.calls).label("llm_calls"),
        func.sum(usage_hourly.c.total_tokens).label("tokens"),
        func.sum(usage_hourly.c.cost).label("cost"),
    ).group_by(usage_hourly.c.account_id)
    if since is not None:
        query = query.where(usage_hourly.c.hour >= since)
    return {row["account_id"]: row for row in conn.execute(query).mappings()}


def instance_counts(conn: Connection) -> dict:
    return {
        "accounts": conn.execute(select(func.count()).select_from(accounts)).scalar_one(),
        "users": conn.execute(select(func.count()).select_from(users)).scalar_one(),
        "staff": conn.execute(
            select(func.count()).select_from(users).where(users.c.instance_role.is_not(None))
        ).scalar_one(),
    }


def set_instance_role(conn: Connection, user_id: int, role: str | None) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(instance_role=role))
