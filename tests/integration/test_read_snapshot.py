"""A read snapshot sees one moment on SQLite and PostgreSQL: what commits after its first read stays out, so
a session's totals and its activities, read by two queries, always agree."""

from __future__ import annotations

from sqlalchemy import func, select

from promptwatch.server.services.clock import utc_now
from promptwatch.server.store.accounts import create_account
from promptwatch.server.store.engine import make_engine, snapshot
from promptwatch.server.store.schema_version import upgrade
from promptwatch.server.store.tables.accounts import accounts
from tests.support.databases import fresh_database

COUNT = select(func.count()).select_from(accounts)


def test_a_snapshot_does_not_see_what_commits_after_its_first_read(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            create_account(conn, "first", utc_now())
        with snapshot(engine) as reader:
            before = reader.execute(COUNT).scalar()
            with engine.begin() as writer:  # the writer is not blocked by the reader
                create_account(writer, "second", utc_now())
            assert reader.execute(COUNT).scalar() == before
        with engine.connect() as later:
            assert later.execute(COUNT).scalar() == before + 1
        engine.dispose()
