"""Reading and writing accounts, users, memberships, projects, API keys and log-in tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from .tables.accounts import accounts, memberships, projects, users
from .tables.credentials import api_keys, login_tokens


def create_account(conn: Connection, name: str, now: datetime, kind: str = "standard", expires_at=None) -> int:
    return conn.execute(
        insert(accounts).values(name=name, kind=kind, expires_at=expires_at, created_at=now).returning(accounts.c.id)
    ).scalar_one()


def get_account(conn: Connection, account_id: int) -> RowMapping | None:
    return conn.execute(select(accounts).where(accounts.c.id == account_id)).mappings().first()


def count_accounts(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(accounts)).scalar_one()


def create_user(conn: Connection, email: str, password_hash: str | None, now: datetime, instance_role=None) -> int:
    return conn.execute(
        insert(users)
        .values(email=email, password_hash=password_hash, instance_role=instance_role, disabled=False, created_at=now)
        .returning(users.c.id)
    ).scalar_one()


def find_user_by_email(conn: Connection, email: str) -> RowMapping | None:
    return conn.execute(select(users).where(func.lower(users.c.email) == email.lower())).mappings().first()


def get_user(conn: Connection, user_id: int) -> RowMapping | None:
    return conn.execute(select(users).where(users.c.id == user_id)).mappings().first()


def add_membership(conn: Connection, account_id: int, user_id: int, role: str, now: datetime) -> None:
    conn.execute(insert(memberships).values(account_id=account_id, user_id=user_id, role=role, created_at=now))


def memberships_of(conn: Connection, user_id: int) -> list[RowMapping]:
    query = (
        select(memberships.c.account_id, memberships.c.role, accounts.c.name)
        .join(accounts, accounts.c.id == memberships.c.account_id)
        .where(memberships.c.user_id == user_id)
        .order_by(memberships.c.account_id)
    )
    return list(conn.execute(query).mappings())


def role_in(conn: Connection, user_id: int, account_id: int) -> str | None:
    return conn.execute(
        select(memberships.c.role).where(memberships.c.user_id == user_id, memberships.c.account_id == account_id)
    ).scalar()


def members_of(conn: Connection, account_id: int) -> list[RowMapping]:
    query = (
        select(users.c.id, users.c.email, memberships.c.role, memberships.c.created_at)
        .join(users, users.c.id == memberships.c.user_id)
        .where(memberships.c.account_id == account_id)
        .order_by(users.c.email)
    )
    return list(conn.execute(query).mappings())


def project_id(conn: Connection, account_id: int, name: str) -> int | None:
    return conn.execute(
        select(projects.c.id).where(projects.c.account_id == account_id, projects.c.name == name)
    ).scalar()


def ensure_project(conn: Connection, account_id: int, name: str, now: datetime) -> int:
    existing = project_id(conn, account_id, name)
    if existing is not None:
        return existing
    return conn.execute(
        insert(projects).values(account_id=account_id, name=name, created_at=now).returning(projects.c.id)
    ).scalar_one()


def list_projects(conn: Connection, account_id: int) -> list[RowMapping]:
    query = select(projects.c.id, projects.c.name, projects.c.created_at).where(projects.c.account_id == account_id)
    return list(conn.execute(query.order_by(projects.c.name)).mappings())


def insert_api_key(conn: Connection, **values) -> int:
    return conn.execute(insert(api_keys).values(**values).returning(api_keys.c.id)).scalar_one()


def find_api_key(conn: Connection, key_id: str) -> RowMapping | None:
    query = (
        select(api_keys, projects.c.name.label("project_name"))
        .outerjoin(projects, projects.c.id == api_keys.c.project_id)
        .where(api_keys.c.key_id == key_id)
    )
    return conn.execute(query).mappings().first()


def list_api_keys(conn: Connection, account_id: int) -> list[RowMapping]:
    query = (
        select(
            api_keys.c.key_id,
            api_keys.c.name,
            api_keys.c.scope,
            api_keys.c.created_at,
            api_keys.c.expires_at,
            api_keys.c.revoked_at,
            api_keys.c.last_used_at,
            projects.c.name.label("project"),
        )
        .outerjoin(projects, projects.c.id == api_keys.c.project_id)
        .where(api_keys.c.account_id == account_id)
        .order_by(api_keys.c.created_at.desc(), api_keys.c.id.desc())
    )
    return list(conn.execute(query).mappings())


def revoke_api_key(conn: Connection, account_id: int, key_id: str, now: datetime) -> bool:
    result = conn.execute(
        update(api_keys)
        .where(api_keys.c.account_id == account_id, api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount > 0


def touch_api_key(conn: Connection, key_pk: int, now: datetime) -> None:
    conn.execute(update(api_keys).where(api_keys.c.id == key_pk).values(last_used_at=now))


def insert_login_token(conn: Connection, token_hash: str, user_id: int, now: datetime, expires_at: datetime) -> None:
    conn.execute(
        insert(login_tokens).values(token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at)
    )


def find_login_token(conn: Connection, token_hash: str) -> RowMapping | None:
    return conn.execute(select(login_tokens).where(login_tokens.c.token_hash == token_hash)).mappings().first()


def revoke_login_token(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(login_tokens).where(login_tokens.c.token_hash == token_hash))


def end_all_login_tokens(conn: Connection) -> None:
    conn.execute(delete(login_tokens))
