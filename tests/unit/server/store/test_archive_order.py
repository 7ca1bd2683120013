"""An import reads the tables in `exported_tables`' order, and what it leaves out of a table follows from what
it left out of the tables read before: sessions and activities must come before the rows that name them by id
or count them (dataset items, the hourly roll-ups)."""

from __future__ import annotations

from promptwatch.server.store.archive_rows import exported_tables


def test_sessions_and_activities_come_before_the_rows_that_name_or_count_them():
    order = [entry.table.name for entry in exported_tables()]
    for later in ("dataset_items", "usage_hourly", "latency_hourly"):
        assert order.index("sessions") < order.index("activities") < order.index(later), later
