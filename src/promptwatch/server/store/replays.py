"""SQL of provider configs and replays; the recorded LLM call a replay starts from."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, RowMapping, delete, select

from .bodies import decode_body
from .dialect import insert_for
from .tables.activities import activities, activity_bodies
from .tables.replays import provider_configs, replays
from .tables.sessions import sessions


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


def recorded_call(
    conn: Connection, account_id: int, activity_id: str, open_body: Callable[[bytes], bytes]
) -> dict | None:
    """The activity (light columns and body merged) with its session's id and project id."""
    query = (
        select(activities, activity_bodies.c.body, sessions.c.id.label("session_id"), sessions.c.project_id)
        .join(activity_bodies, activity_bodies.c.activity_pk == activities.c.pk)
        .join(sessions, sessions.c.pk == activities.c.session_pk)
        .where(activities.c.account_id == account_id, activities.c.id == activity_id)
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    item = dict(row)
    item.update(decode_body(open_body(item.pop("body"))))
    return item


def add_replay(conn: Connection, row: dict) -> int:
    return conn.execute(replays.insert().returning(replays.c.pk), row).scalar_one()


def replays_of(conn: Connection, activity_pk: int) -> list[RowMapping]:
    query = select(replays).where(replays.c.activity_pk == activity_pk).order_by(replays.c.pk)
    return list(conn.execute(query).mappings())
