"""The app's counter flushers log a failed write under their own logger: the usage counters under
`promptwatch.usage_stats`, the name a logging configuration may already use for them."""

from __future__ import annotations

import logging
import time

from fastapi.testclient import TestClient

from promptwatch.server.app import create_app
from promptwatch.server.settings import Settings, resolve_database_url
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import ensure_current
from promptwatch.server.store.tables.usage_stats import page_views


def test_a_failed_write_of_the_usage_counters_is_logged_as_promptwatch_usage_stats(tmp_path, caplog):
    settings = Settings(
        data_dir=tmp_path, usage_stats_flush_seconds=0.05, password_time_cost=1, password_memory_cost=64
    )
    engine = make_engine(resolve_database_url(settings))
    ensure_current(engine, create_if_empty=True)
    app = create_app(settings)
    with caplog.at_level(logging.ERROR), TestClient(app):
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {page_views.name}")  # the next write of page views fails
        app.state.services.usage_stats.count_page_view("/ui/sessions", None)
        deadline = time.monotonic() + 10
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.02)
    engine.dispose()
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("promptwatch.usage_stats", "usage-counters flush failed")
    ]
