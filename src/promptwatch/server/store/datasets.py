"""SQL of datasets and their items. Item payloads arrive sealed and leave sealed: `services/datasets.py`
encodes and encrypts them. Every query is scoped by the account. An item names the session and activity it
was copied from by id, without a foreign key: `copied_from_tenant` finds the copies of an end user's calls."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, RowMapping, and_, delete, func, insert, or_, select, update

from .tables.accounts import projects
from .tables.activities import activities
from .tables.datasets import dataset_items, datasets
from .tables.sessions import sessions

CHUNK = 500

_ITEM_COUNT = (
    select(func.count())
    .where(dataset_items.c.dataset_pk == datasets.c.pk)
    .correlate(datasets)
    .scalar_subquery()
    .label("item_count")
)


def _datasets_query(account_id: int):
    return (
        select(datasets, projects.c.name.label("project"), _ITEM_COUNT)
        .outerjoin(projects, projects.c.id == datasets.c.project_id)
        .where(datasets.c.account_id == account_id)
    )


def list_datasets(conn: Connection, account_id: int, project_id: int | None = None) -> list[RowMapping]:
    query = _datasets_query(account_id)
    if project_id is not None:
        query = query.where(datasets.c.project_id == project_id)
    return list(conn.execute(query.order_by(datasets.c.name)).mappings())


def get_dataset(conn: Connection, account_id: int, name: str) -> RowMapping | None:
    return conn.execute(_datasets_query(account_id).where(datasets.c.name == name)).mappings().first()


def dataset_names(conn: Connection, account_id: int, project_id: int | None = None) -> list[str]:
    """The account's dataset names (only those limited to `project_id` when given)."""
    query = select(datasets.c.name).where(datasets.c.account_id == account_id)
    if project_id is not None:
        query = query.where(datasets.c.project_id == project_id)
    return list(conn.execute(query).scalars())


def name_taken(conn: Connection, account_id: int, name: str) -> bool:
    query = select(datasets.c.pk).where(datasets.c.account_id == account_id, datasets.c.name == name)
    return conn.execute(query).first() is not None


def insert_dataset(conn: Connection, **values) -> int:
    return conn.execute(insert(datasets).values(**values).returning(datasets.c.pk)).scalar_one()


def update_dataset(conn: Connection, account_id: int, pk: int, **values) -> None:
    conn.execute(update(datasets).where(datasets.c.account_id == account_id, datasets.c.pk == pk).values(**values))


def delete_dataset(conn: Connection, account_id: int, name: str) -> dict:
    """The dataset with its items; counts what went."""
    pk = conn.execute(
        select(datasets.c.pk).where(datasets.c.account_id == account_id, datasets.c.name == name)
    ).scalar()
    if pk is None:
        return {}
    items = conn.execute(delete(dataset_items).where(dataset_items.c.dataset_pk == pk)).rowcount
    conn.execute(delete(datasets).where(datasets.c.pk == pk))
    return {"datasets": 1, "dataset_items": items}


def item_ids_taken(conn: Connection, account_id: int, ids: list[str]) -> list[str]:
    query = select(dataset_items.c.id).where(dataset_items.c.account_id == account_id, dataset_items.c.id.in_(ids))
    return list(conn.execute(query).scalars())


def insert_items(conn: Connection, rows: list[dict]) -> None:
    conn.execute(insert(dataset_items), rows)


def list_items(
    conn: Connection, account_id: int, dataset_pk: int, limit: int, after_pk: int | None = None
) -> list[RowMapping]:
    query = select(dataset_items).where(
        dataset_items.c.account_id == account_id, dataset_items.c.dataset_pk == dataset_pk
    )
    if after_pk is not None:
        query = query.where(dataset_items.c.pk > after_pk)
    return list(conn.execute(query.order_by(dataset_items.c.pk).limit(limit)).mappings())


def get_item(conn: Connection, account_id: int, dataset_pk: int, item_id: str) -> RowMapping | None:
    query = select(dataset_items).where(
        dataset_items.c.account_id == account_id,
        dataset_items.c.dataset_pk == dataset_pk,
        dataset_items.c.id == item_id,
    )
    return conn.execute(query).mappings().first()


def update_item(conn: Connection, account_id: int, pk: int, **values) -> None:
    stmt = update(dataset_items).where(dataset_items.c.account_id == account_id, dataset_items.c.pk == pk)
    conn.execute(stmt.values(**values))


def delete_items(conn: Connection, account_id: int, item_ids: list[str]) -> dict:
    stmt = delete(dataset_items).where(dataset_items.c.account_id == account_id, dataset_items.c.id.in_(item_ids))
    return {"dataset_items": conn.execute(stmt).rowcount}


def copied_from_tenant(account_id: int, tenant: str):
    """The condition that picks the items copied from one tracking tenant's sessions or their activities."""
    tenant_sessions = select(sessions.c.id).where(
        sessions.c.account_id == account_id, sessions.c.tracking_tenant == tenant
    )
    tenant_activities = (
        select(activities.c.id)
        .join(sessions, sessions.c.pk == activities.c.session_pk)
        .where(activities.c.account_id == account_id, sessions.c.tracking_tenant == tenant)
    )
    return and_(
        dataset_items.c.account_id == account_id,
        or_(
            dataset_items.c.source_session_id.in_(tenant_sessions),
            dataset_items.c.source_activity_id.in_(tenant_activities),
        ),
    )


def tenant_sources(conn: Connection, account_id: int, tenant: str) -> tuple[list[str], list[int]]:
    """The tenant's session ids and the pks of the items copied from its calls: taken before a bulk deletion
    removes its sessions, since items name their source by id only."""
    query = select(sessions.c.id).where(sessions.c.account_id == account_id, sessions.c.tracking_tenant == tenant)
    copies = select(dataset_items.c.pk).where(copied_from_tenant(account_id, tenant))
    return list(conn.execute(query).scalars()), list(conn.execute(copies).scalars())


def delete_copies(
    conn: Connection,
    account_id: int,
    tenant: str | None = None,
    session_ids: Iterable[str] = (),
    item_pks: Iterable[int] = (),
) -> int:
    """Items copied from the tenant's calls still stored, items naming one of `session_ids` (sessions already
    deleted), and the items `item_pks`."""
    removed = 0
    if tenant is not None:
        removed += conn.execute(delete(dataset_items).where(copied_from_tenant(account_id, tenant))).rowcount
    for column, values in (
        (dataset_items.c.source_session_id, list(session_ids)),
        (dataset_items.c.pk, list(item_pks)),
    ):
        for start in range(0, len(values), CHUNK):
            stmt = delete(dataset_items).where(
                dataset_items.c.account_id == account_id, column.in_(values[start : start + CHUNK])
            )
            removed += conn.execute(stmt).rowcount
    return removed
