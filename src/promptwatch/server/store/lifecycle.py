"""Deletion receipts and retention policies: reading and writing them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, insert, select, update

from .dialect import insert_for
from .tables.lifecycle import deletion_receipts, retention_policies


def add_receipt(conn: Connection, **values) -> None:
    conn.execute(insert(deletion_receipts).values(**values))


def _of(account_id: int, project_id: int | None) -> list:
    """The receipts an account-wide caller sees (`project_id` None), or those of one project's deletions."""
    where = [deletion_receipts.c.account_id == account_id]
    if project_id is not None:
        where.append(deletion_receipts.c.project_id == project_id)
    return where


def receipts(conn: Connection, account_id: int, project_id: int | None = None, limit: int = 200) -> list[RowMapping]:
    query = (
        select(deletion_receipts)
        .where(*_of(account_id, project_id))
        .order_by(deletion_receipts.c.requested_at.desc())
        .limit(limit)
    )
    return list(conn.execute(query).mappings())


def receipt(conn: Connection, account_id: int, receipt_id: str, project_id: int | None = None) -> RowMapping | None:
    query = select(deletion_receipts).where(*_of(account_id, project_id), deletion_receipts.c.id == receipt_id)
    return conn.execute(query).mappings().first()


def mark_purged(conn: Connection, up_to: datetime, now: datetime) -> int:
    """Every receipt of a deletion made before `up_to` is purged now."""
    return conn.execute(
        update(deletion_receipts)
        .where(deletion_receipts.c.purged_at.is_(None), deletion_receipts.c.unreadable_at <= up_to)
        .values(purged_at=now)
    ).rowcount


def set_policy(conn: Connection, account_id: int, project_id: int, content_days, aggregate_days, now) -> None:
    stmt = insert_for(conn, retention_policies)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["account_id", "project_id"],
            set_={
                "content_days": stmt.excluded.content_days,
                "aggregate_days": stmt.excluded.aggregate_days,
                "updated_at": stmt.excluded.updated_at,
            },
        ),
        {
            "account_id": account_id,
            "project_id": project_id,
            "content_days": content_days,
            "aggregate_days": aggregate_days,
            "updated_at": now,
        },
    )


def policies(conn: Connection, account_id: int | None = None) -> list[RowMapping]:
    query = select(retention_policies)
    if account_id is not None:
        query = query.where(retention_policies.c.account_id == account_id)
    return list(conn.execute(query).mappings())
