"""Ingest and import check each id against the tombstones with a primary-key search, however many the account
has."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import event

from promptwatch.server.store import accounts as account_store
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import ensure_current
from promptwatch.server.store.tables.sessions import tombstones
from promptwatch.server.store.tombstones import deleted_ids

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)


def test_tombstone_lookup_is_a_key_search_per_id(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pw.db'}")
    ensure_current(engine, create_if_empty=True)
    with engine.begin() as conn:
        account = account_store.create_account(conn, "acme", NOW)
        conn.execute(
            tombstones.insert(),
            [
                {"account_id": account, "kind": kind, "object_id": f"{kind}-{i}", "deleted_at": NOW}
                for kind in ("session", "activity")
                for i in range(50)
            ],
        )
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2:4]))
    with engine.connect() as conn:
        assert deleted_ids(conn, account, "session", {"session-3", "session-x", "activity-4"}) == {"session-3"}
        assert deleted_ids(conn, account, "activity", {"activity-4", "session-5"}) == {"activity-4"}
        lookups = [(sql, params) for sql, params in statements if "FROM tombstones" in sql]
        assert len(lookups) == 2
        for sql, params in lookups:
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            assert "kind=? AND object_id=?" in plan, plan
    engine.dispose()
