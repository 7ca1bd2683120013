"""The writer's bulk execution binds values exactly as SQLAlchemy does, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, bindparam, select, update
from sqlalchemy.dialects import sqlite

from promptwatch.server.store import bulk
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.types import JsonDoc, UtcDateTime
from tests.support.databases import fresh_database

metadata = MetaData()
things = Table(
    "bulk_things",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("name", String(50)),
    Column("at", UtcDateTime()),
    Column("doc", JsonDoc),
    Column("score", Float),
)
ROWS = [
    {"pk": 1, "name": "a", "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "doc": {"x": [1]}, "score": 1.5},
    {"pk": 2, "name": None, "at": datetime(1999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-2))), "score": 2},
    {"pk": 3, "name": "c", "at": None, "doc": ["é"], "score": None},
]


@pytest.fixture
def engine(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        metadata.create_all(engine)
        yield engine
        engine.dispose()


def test_bulk_rows_read_back_as_sqlalchemy_wrote_them(engine):
    with engine.begin() as conn:
        bulk.execute_many(conn, things.insert(), [{"doc": None, **row} for row in ROWS[:2]])
        conn.execute(things.insert(), ROWS[2:])
        bulk.execute_many(
            conn, update(things).where(things.c.pk == bindparam("p")).values(score=bindparam("s")), [{"p": 3, "s": 7.0}]
        )
    with engine.connect() as conn:
        stored = [dict(r) for r in conn.execute(select(things).order_by(things.c.pk)).mappings()]
    assert stored[0] == ROWS[0]
    assert stored[1] == {**ROWS[1], "at": datetime(2000, 1, 1, 1, 0, tzinfo=timezone.utc), "doc": None, "score": 2.0}
    assert stored[2] == {**ROWS[2], "score": 7.0}
    with engine.connect() as conn:  # compared as stored: the same text or timestamp as SQLAlchemy binds
        later = select(things.c.pk).where(things.c.at > datetime(2000, 1, 1, 0, 59, tzinfo=timezone.utc))
        assert conn.execute(later.order_by(things.c.pk)).scalars().all() == [1, 2]


def test_bulk_insert_names_only_the_columns_the_rows_give(engine):
    with engine.begin() as conn:
        bulk.execute_many(conn, things.insert(), [{"pk": 9, "name": "only"}])
    with engine.connect() as conn:
        assert conn.execute(select(things.c.name, things.c.at)).one() == ("only", None)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 29, 13, 55, 27, 65293, tzinfo=timezone.utc),
        datetime(2026, 1, 1, tzinfo=timezone.utc),  # no microseconds: still six digits
        datetime(987, 6, 5, 4, 3, 2, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ],
)
def test_utc_datetime_binds_on_sqlite_as_sqlalchemys_datetime_text(moment):
    dialect = sqlite.dialect()
    ours = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    plain = sqlite.DATETIME().bind_processor(dialect)
    assert ours(moment) == plain(moment.astimezone(timezone.utc).replace(tzinfo=None))
    assert ours(None) is None
    with pytest.raises(ValueError):
        ours(datetime(2026, 1, 1))


def test_array_insert_keeps_order_skips_stored_keys_and_binds_as_sqlalchemy(tmp_path):
    """`insert_from_arrays` is PostgreSQL's (SQLite inserts with `execute_many`)."""
    with fresh_database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(things.insert(), [{"pk": 2, "name": "kept", "at": None, "doc": None, "score": None}])
            rows = [{"pk": pk, "name": f"n{pk}", "at": None, "doc": None, "score": 1} for pk in (9, 2, 5)]
            rows[0].update(at=ROWS[1]["at"], doc={"é": [1, None]}, score=2.5)  # ints and floats in one column
            inserted = bulk.insert_from_arrays(conn, things, rows, ("pk", "name"))
        assert inserted == [(9, "n9"), (5, "n5")]  # the stored key is skipped, the order kept
        with engine.connect() as conn:
            stored = {r.pk: r for r in conn.execute(select(things))}
        assert stored[2].name == "kept"
        assert stored[9].at == ROWS[1]["at"] and stored[9].doc == {"é": [1, None]} and stored[9].score == 2.5
        assert stored[5].at is None and stored[5].doc is None and stored[5].score == 1.0
        engine.dispose()
