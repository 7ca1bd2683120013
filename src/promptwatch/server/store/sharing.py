"""Share links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from .tables.sharing import share_links

_PUBLIC_COLUMNS = (
    share_links.c.id,
    share_links.c.kind,
    share_links.c.object_id,
    share_links.c.created_by,
    share_links.c.created_at,
    share_links.c.expires_at,
    share_links.c.revoked_at,
    share_links.c.views,
    share_links.c.last_viewed_at,
)


def insert_link(conn: Connection, **values) -> int:
    return conn.execute(insert(share_links).values(**values).returning(share_links.c.id)).scalar_one()


def get_link(conn: Connection, account_id: int, link_id: int) -> RowMapping | None:
    query = select(*_PUBLIC_COLUMNS).where(share_links.c.account_id == account_id, share_links.c.id == link_id)
    return conn.execute(query).mappings().first()


def list_links(conn: Connection, account_id: int) -> list[RowMapping]:
    query = (
        select(*_PUBLIC_COLUMNS)
        .where(share_links.c.account_id == account_id)
        .order_by(share_links.c.created_at.desc(), share_links.c.id.desc())
    )
    return list(conn.execute(query).mappings())


def find_by_token(conn: Connection, token_hash: str) -> RowMapping | None:
    return conn.execute(select(share_links).where(share_links.c.token_hash == token_hash)).mappings().first()


def count_view(conn: Connection, link_id: int, now: datetime) -> None:
    conn.execute(
        update(share_links).where(share_links.c.id == link_id).values(views=share_links.c.views + 1, last_viewed_at=now)
    )


def revoke_link(conn: Connection, account_id: int, link_id: int, now: datetime) -> bool:
    result = conn.execute(
        update(share_links)
        .where(share_links.c.account_id == account_id, share_links.c.id == link_id, share_links.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount > 0


def move_links(conn: Connection, account_id: int, kind: str, object_id: str, new_object_id: str) -> None:
    """The links of a renamed object follow it."""
    conn.execute(
        update(share_links)
        .where(share_links.c.account_id == account_id, share_links.c.kind == kind, share_links.c.object_id == object_id)
        .values(object_id=new_object_id)
    )


def delete_links(conn: Connection, account_id: int, kind: str, object_id: str) -> int:
    """The links of a deleted object: a new object of the same name is never reachable through them."""
    stmt = delete(share_links).where(
        share_links.c.account_id == account_id, share_links.c.kind == kind, share_links.c.object_id == object_id
    )
    return conn.execute(stmt).rowcount
