"""SQL of provider configs and replays; the recorded LLM call a replay starts from."""

from __future__ import annotations

from sqlalchemy import Connection, RowMapping, delete, select

from .dialect import insert_for
from .tables.replays import provider_configs, replays


def upsert_provider(conn: Connection, row: dict) -> None:
    stmt = insert_for(conn, provider_configs)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["account_id", "name"],
            set_={n: stmt.excluded[n] for n in ("base_url", "api_key_sealed", "default_model", "updated_at")},
        ),
        row,
    )


def providers(conn: Connection, account_id: int) -> list[RowMapping]:
    query = select(provider_configs).where(provider_configs.c.account_id == account_id)
    return list(conn.execute(query.order_by(provider_configs.c.name)).mappings())


def provider(conn: Connection, account_id: int, name: str) -> RowMapping | None:
    query = select(provider_configs).where(provider_configs.c.account_id == account_id, provider_configs.c.name == name)
    return conn.execute(query).mappings().first()


def delete_provider(conn: Connection, account_id: int, name: str) -> bool:
    stmt = delete(provider_configs).where(provider_configs.c.account_id == account_id, provider_configs.c.name == name)
    return conn.execute(stmt).rowcount > 0


def add_replay(conn: Connection, row: dict) -> int:
    return conn.execute(replays.insert().returning(replays.c.pk), row).scalar_one()


def replays_of(conn: Connection, activity_pk: int) -> list[RowMapping]:
    query = select(replays).where(replays.c.activity_pk == activity_pk).order_by(replays.c.pk)
    return list(conn.execute(query).mappings())
