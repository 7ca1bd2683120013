"""Support grants and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, insert, select, update

from .tables.support_access import audit_log, support_grants


def insert_grant(conn: Connection, **values) -> int:
    return conn.execute(insert(support_grants).values(**values).returning(support_grants.c.id)).scalar_one()


def get_grant(conn: Connection, account_id: int, grant_id: int) -> RowMapping | None:
    query = select(support_grants).where(support_grants.c.account_id == account_id, support_grants.c.id == grant_id)
    return conn.execute(query).mappings().first()


def list_grants(conn: Connection, account_id: int) -> list[RowMapping]:
    query = (
        select(support_grants)
        .where(support_grants.c.account_id == account_id)
        .order_by(support_grants.c.created_at.desc(), support_grants.c.id.desc())
    )
    return list(conn.execute(query).mappings())


def live_grants(conn: Connection, account_id: int, now: datetime) -> list[RowMapping]:
    query = select(support_grants).where(
        support_grants.c.account_id == account_id,
        support_grants.c.revoked_at.is_(None),
        support_grants.c.expires_at > now,
    )
    return list(conn.execute(query).mappings())


def all_live_grants(conn: Connection, now: datetime) -> list[RowMapping]:
    query = (
        select(
            support_grants.c.id,
            support_grants.c.account_id,
            support_grants.c.scope,
            support_grants.c.reason,
            support_grants.c.expires_at,
        )
        .where(support_grants.c.revoked_at.is_(None), support_grants.c.expires_at > now)
        .order_by(support_grants.c.expires_at)
    )
    return list(conn.execute(query).mappings())


def revoke_grant(conn: Connection, account_id: int, grant_id: int, user_id: int | None, now: datetime) -> bool:
    result = conn.execute(
        update(support_grants)
        .where(
            support_grants.c.account_id == account_id,
            support_grants.c.id == grant_id,
            support_grants.c.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_by=user_id)
    )
    return result.rowcount > 0


def insert_audit(conn: Connection, **values) -> None:
    conn.execute(insert(audit_log).values(**values))


def list_audit(
    conn: Connection, account_id: int, limit: int | None, before_id: int | None = None, action: str | None = None
) -> list[RowMapping]:
    """Newest first; `before_id` pages back."""
    query = select(
        audit_log.c.id, audit_log.c.at, audit_log.c.actor, audit_log.c.action, audit_log.c.target, audit_log.c.details
    ).where(audit_log.c.account_id == account_id)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    if action is not None:
        query = query.where(audit_log.c.action.startswith(action, autoescape=True))
    query = query.order_by(audit_log.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(conn.execute(query).mappings())


def iter_audit(conn: Connection, account_id: int):
    """Oldest first, streamed in chunks, for the JSON Lines export."""
    query = (
        select(
            audit_log.c.id,
            audit_log.c.at,
            audit_log.c.actor,
            audit_log.c.action,
            audit_log.c.target,
            audit_log.c.details,
        )
        .where(audit_log.c.account_id == account_id)
        .order_by(audit_log.c.id)
    )
    yield from conn.execute(query).mappings()
