"""SQLite's write-ahead log under reads that never stop: automatic checkpoints never start it over, so it grows
with every commit; `restart_long_wal` starts it over once it passes its limit."""

from __future__ import annotations

import os
import threading

from sqlalchemy import event, text

from promptwatch.server.store.engine import make_engine, restart_long_wal

ROW = "x" * 4000  # one page a row: the log grows by about a page per row


def _log_size(engine) -> int:
    return os.stat(f"{engine.url.database}-wal").st_size


def _write_while_reading(engine, rows: int, after_commit=lambda: None) -> None:
    """`rows` commits of one row each while reads of the log never stop: two connections take turns, the
    next read always begun before the last one ends, as overlapping requests do."""
    stop, reading = threading.Event(), threading.Event()

    def read() -> None:
        with engine.connect() as first, engine.connect() as second:
            holding, taking = first, second
            holding.execute(text("SELECT count(*) FROM notes")).scalar()
            while not stop.is_set():
                taking.execute(text("SELECT count(*) FROM notes")).scalar()  # the newest snapshot...
                holding.rollback()  # ...begun before the older read ends
                holding, taking = taking, holding
                reading.set()
                stop.wait(0.0005)
            holding.rollback()

    reader = threading.Thread(target=read)
    reader.start()
    reading.wait()
    try:
        for _ in range(rows):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO notes(body) VALUES (:body)"), {"body": ROW})
            after_commit()
    finally:
        stop.set()
        reader.join()


def test_the_log_starts_over_past_its_limit_whatever_the_readers(tmp_path):
    limit = 400 * 4096
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    # as in production, a log started over keeps half the limit of its file (there WAL_KEPT_BYTES)
    event.listen(engine, "connect", lambda dbapi, _: dbapi.execute(f"PRAGMA journal_size_limit={limit // 2}"))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))

    _write_while_reading(engine, 1500)
    unbounded = _log_size(engine)
    assert unbounded > 3 * limit  # the automatic checkpoints never started the log over

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    _write_while_reading(engine, 1500, after_commit=lambda: restart_long_wal(engine, limit))
    assert _log_size(engine) < 2 * limit
    engine.dispose()
