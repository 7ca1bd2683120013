"""Per-account price overrides for custom or fine-tuned models, with effective dates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, insert, select

from .tables.usage import price_overrides


def list_overrides(conn: Connection, account_id: int) -> list[RowMapping]:
    query = select(price_overrides).where(price_overrides.c.account_id == account_id)
    return list(conn.execute(query.order_by(price_overrides.c.model, price_overrides.c.effective_from)).mappings())


def add_override(
    conn: Connection,
    account_id: int,
    model: str,
    input_per_mtok: float,
    output_per_mtok: float,
    effective_from: datetime,
    now: datetime,
) -> int:
    return conn.execute(
        insert(price_overrides)
        .values(
            account_id=account_id,
            model=model,
            input_per_mtok=input_per_mtok,
            output_per_mtok=output_per_mtok,
            effective_from=effective_from,
            created_at=now,
        )
        .returning(price_overrides.c.id)
    ).scalar_one()


def delete_override(conn: Connection, account_id: int, override_id: int) -> bool:
    result = conn.execute(
        delete(price_overrides).where(price_overrides.c.account_id == account_id, price_overrides.c.id == override_id)
    )
    return result.rowcount > 0
