"""Every table that holds customer data is in the registry; nothing is registered twice."""

from __future__ import annotations

from sqlalchemy import inspect

from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.registry import CUSTOMER_TABLES, NON_CUSTOMER_TABLES, SEARCH_INDEX
from promptwatch.server.store.schema_version import upgrade
from promptwatch.server.store.tables import metadata


def test_every_table_is_registered_or_explained():
    registered = [entry.table.name for entry in CUSTOMER_TABLES]
    assert len(registered) == len(set(registered))
    unexplained = set(metadata.tables) - set(registered) - set(NON_CUSTOMER_TABLES)
    assert not unexplained, f"register these tables in store/registry.py: {sorted(unexplained)}"


def test_every_table_with_an_account_column_is_registered():
    for table in metadata.tables.values():
        if "account_id" in table.c:
            assert table.name in {e.table.name for e in CUSTOMER_TABLES}, table.name


def test_migrated_database_has_no_unregistered_tables(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    names = {n for n in inspect(engine).get_table_names() if not n.startswith(SEARCH_INDEX)}
    known = {e.table.name for e in CUSTOMER_TABLES} | set(NON_CUSTOMER_TABLES)
    assert names <= known, names - known


def test_registry_entries_name_their_lifecycle():
    for entry in CUSTOMER_TABLES:
        assert entry.export_kind and entry.delete_cascade and entry.retention_class
        for column in entry.redaction + entry.encrypted:
            assert column in entry.table.c, (entry.table.name, column)
