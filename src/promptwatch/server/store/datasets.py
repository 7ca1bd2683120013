"""SQL of datasets and their items. Item payloads arrive sealed and leave sealed: `services/datasets.py`
encodes and encrypts them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from .tables.accounts import projects
from .tables.datasets import dataset_items, datasets

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


def dataset_names(conn: Connection, account_id: int) -> list[str]:
    return list(conn.execute(select(datasets.c.name).where(datasets.c.account_id == account_id)).scalars())


def name_taken(conn: Connection, account_id: int, name: str) -> bool:
    query = select(datasets.c.pk).where(datasets.c.account_id == account_id, datasets.c.name == name)
    return conn.execute(query).first() is not None


def insert_dataset(conn: Connection, **values) -> int:
    return conn.execute(insert(datasets).values(**values).returning(datasets.c.pk)).scalar_one()


def update_dataset(conn: Connection, pk: int, **values) -> None:
    conn.execute(update(datasets).where(datasets.c.pk == pk).values(**values))


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


def list_items(conn: Connection, dataset_pk: int, limit: int, after_pk: int | None = None) -> list[RowMapping]:
    query = select(dataset_items).where(dataset_items.c.dataset_pk == dataset_pk)
    if after_pk is not None:
        query = query.where(dataset_items.c.pk > after_pk)
    return list(conn.execute(query.order_by(dataset_items.c.pk).limit(limit)).mappings())


def get_item(conn: Connection, dataset_pk: int, item_id: str) -> RowMapping | None:
    query = select(dataset_items).where(dataset_items.c.dataset_pk == dataset_pk, dataset_items.c.id == item_id)
    return conn.execute(query).mappings().first()


def update_item(conn: Connection, pk: int, **values) -> None:
    conn.execute(update(dataset_items).where(dataset_items.c.pk == pk).values(**values))


def delete_items(conn: Connection, account_id: int, item_ids: list[str]) -> dict:
    stmt = delete(dataset_items).where(dataset_items.c.account_id == account_id, dataset_items.c.id.in_(item_ids))
    return {"dataset_items": conn.execute(stmt).rowcount}


def touch(conn: Connection, dataset_pk: int, now: datetime) -> None:
    update_dataset(conn, dataset_pk, updated_at=now)
