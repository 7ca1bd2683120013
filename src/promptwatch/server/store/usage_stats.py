"""Writing and reading the anonymous counters (P4, P5) and the accounts that opted out."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, delete, select

from .dialect import insert_for
from .tables.usage_stats import feature_counters, page_views, stats_opt_outs


def add_counts(conn: Connection, table_name: str, counts: dict[tuple[date, str], int]) -> None:
    table, name_column = (feature_counters, "feature") if table_name == "features" else (page_views, "route")
    for (day, name), count in counts.items():
        statement = insert_for(conn, table).values(day=day, count=count, **{name_column: name})
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["day", name_column], set_={"count": table.c.count + statement.excluded.count}
            )
        )


def read_counts(conn: Connection, table_name: str, since: date, until: date) -> list[dict]:
    table, name_column = (feature_counters, "feature") if table_name == "features" else (page_views, "route")
    query = (
        select(table.c.day, table.c[name_column].label("name"), table.c.count)
        .where(table.c.day >= since, table.c.day <= until)
        .order_by(table.c.day, table.c[name_column])
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def opted_out_accounts(conn: Connection) -> set[int]:
    return set(conn.execute(select(stats_opt_outs.c.account_id)).scalars())


def set_opt_out(conn: Connection, account_id: int, opt_out: bool, now: datetime) -> None:
    conn.execute(delete(stats_opt_outs).where(stats_opt_outs.c.account_id == account_id))
    if opt_out:
        conn.execute(insert_for(conn, stats_opt_outs).values(account_id=account_id, opted_out_at=now))
