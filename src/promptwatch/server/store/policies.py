"""Reading and writing policy documents and their acknowledgements."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, RowMapping, func, insert, select

from .dialect import insert_for
from .tables.accounts import memberships, users
from .tables.policies import policy_acknowledgements, policy_documents


def ensure_document(conn: Connection, kind: str, version: int, title: str, body: str, now: datetime, effective: date):
    conn.execute(
        insert_for(conn, policy_documents)
        .values(kind=kind, version=version, title=title, body=body, announced_at=now, effective_date=effective)
        .on_conflict_do_nothing(index_elements=["kind", "version"])
    )


def latest_version(conn: Connection, kind: str) -> int:
    return conn.execute(
        select(func.coalesce(func.max(policy_documents.c.version), 0)).where(policy_documents.c.kind == kind)
    ).scalar_one()


def insert_document(conn: Connection, **values) -> int:
    return conn.execute(insert(policy_documents).values(**values).returning(policy_documents.c.id)).scalar_one()


def documents(conn: Connection, kind: str | None = None) -> list[RowMapping]:
    query = select(policy_documents)
    if kind:
        query = query.where(policy_documents.c.kind == kind)
    return list(conn.execute(query.order_by(policy_documents.c.kind, policy_documents.c.version)).mappings())


def document(conn: Connection, document_id: int) -> RowMapping | None:
    return conn.execute(select(policy_documents).where(policy_documents.c.id == document_id)).mappings().first()


def acknowledged_ids(conn: Connection, user_id: int) -> dict[int, datetime]:
    rows = conn.execute(
        select(policy_acknowledgements.c.document_id, policy_acknowledgements.c.acknowledged_at).where(
            policy_acknowledgements.c.user_id == user_id
        )
    )
    return {document_id: at for document_id, at in rows}


def acknowledge(conn: Connection, user_id: int, document_id: int, now: datetime) -> None:
    conn.execute(
        insert_for(conn, policy_acknowledgements)
        .values(user_id=user_id, document_id=document_id, acknowledged_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "document_id"])
    )


def acknowledgements(conn: Connection, document_id: int) -> list[RowMapping]:
    query = (
        select(users.c.id.label("user_id"), users.c.email, policy_acknowledgements.c.acknowledged_at)
        .join(users, users.c.id == policy_acknowledgements.c.user_id)
        .where(policy_acknowledgements.c.document_id == document_id)
        .order_by(policy_acknowledgements.c.acknowledged_at)
    )
    return list(conn.execute(query).mappings())


def all_owner_emails(conn: Connection) -> list[str]:
    query = (
        select(users.c.email)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(memberships.c.role == "owner", users.c.disabled.is_(False))
        .distinct()
        .order_by(users.c.email)
    )
    return list(conn.execute(query).scalars())
