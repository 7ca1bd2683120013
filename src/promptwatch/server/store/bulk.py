"""One statement over many rows, with less work per row than SQLAlchemy's executemany.

The ingest writer binds thousands of rows a second. For each row SQLAlchemy builds a parameter dict from
the compiled statement and runs every column's bind processor through several layers, which cost more CPU
than SQLite's own inserts. Here a statement is compiled once per dialect, the bind processor of each of its
parameters (from the parameter's SQLAlchemy type, so values are converted exactly as SQLAlchemy would) is
looked up once, and the rows reach the driver through `exec_driver_sql` as tuples (positional paramstyles,
SQLite) or dicts (named ones, PostgreSQL).

`insert_from_arrays` is PostgreSQL's insert that returns generated keys: one array per column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

from sqlalchemy import Connection, Float, Table
from sqlalchemy.sql import ClauseElement, Insert


@dataclass(frozen=True)
class _Compiled:
    statement: ClauseElement  # held so that the cache key (its id) is never reused by another object
    sql: str
    names: tuple[str, ...]
    positional: bool
    converters: tuple[tuple[int, str, Callable], ...]  # (position, name, processor) of parameters that need one


_compiled_cache: dict[tuple, _Compiled] = {}
_CACHE_LIMIT = 256  # meant for module-level statements; a caller building them per call only refills it


def _compiled(conn: Connection, statement: ClauseElement, keys: tuple[str, ...]) -> _Compiled:
    dialect = conn.dialect
    key = (id(statement), dialect.name, dialect.driver, keys)
    found = _compiled_cache.get(key)
    if found is not None and found.statement is statement:
        return found
    if len(_compiled_cache) >= _CACHE_LIMIT:
        _compiled_cache.clear()
    # an INSERT names the columns the rows give, as SQLAlchemy's executemany does from its first row
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) if isinstance(statement, Insert) else None)
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise ValueError("bulk.execute_many needs every column value in the rows (no Python-side defaults)")
    positional = bool(compiled.positiontup)
    names = tuple(compiled.positiontup) if positional else tuple(compiled.binds)
    converters = []
    for position, name in enumerate(names):
        bind = compiled.binds[name]
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            converters.append((position, name, processor))
    found = _compiled_cache[key] = _Compiled(statement, str(compiled), names, positional, tuple(converters))
    return found


def execute_many(conn: Connection, statement: ClauseElement, rows: Sequence[Mapping]) -> None:
    """Run `statement` once per row. Each row maps every parameter name to its value (an INSERT's column
    keys, or the names of `bindparam`s), and all rows have the same keys. Values written into the statement
    itself (`literal(...)`, `.values(x=1)`) are not supported: build it from bind parameters only, once, at
    module level."""
    if not rows:
        return
    compiled = _compiled(conn, statement, tuple(rows[0]))
    converters = compiled.converters
    if compiled.positional:
        values_of = itemgetter(*compiled.names)
        single = len(compiled.names) == 1
        params = []
        for row in rows:
            values = [values_of(row)] if single else list(values_of(row))
            for position, _name, processor in converters:
                values[position] = processor(values[position])
            params.append(tuple(values))
    else:
        params = []
        for row in rows:
            values = {name: row[name] for name in compiled.names}
            for _position, name, processor in converters:
                values[name] = processor(values[name])
            params.append(values)
    conn.exec_driver_sql(compiled.sql, params)


@dataclass(frozen=True)
class _ArrayInsert:
    sql: str
    converters: tuple[tuple[int, Callable], ...]  # (position, processor) of columns that need one


_array_inserts: dict[tuple, _ArrayInsert] = {}


def insert_from_arrays(conn: Connection, table: Table, rows: Sequence[Mapping], returning: Sequence[str]) -> list:
    """PostgreSQL: insert the rows whose key is new (ON CONFLICT DO NOTHING) and return `returning` of those
    inserted. The rows travel as one array per column (`INSERT ... SELECT * FROM unnest(...)`), so the
    statement's text is short and the same for any number of rows: a multi-row VALUES statement is as long as
    its rows, and the driver parses every such text anew, which cost more than the database's own insert."""
    if not rows:
        return []
    keys = tuple(rows[0])
    key = (table.name, conn.dialect.driver, keys, tuple(returning))
    insert = _array_inserts.get(key)
    if insert is None:
        insert = _array_inserts[key] = _array_insert(conn, table, keys, tuple(returning))
    columns = [[row[name] for row in rows] for name in keys]
    for position, processor in insert.converters:
        columns[position] = [processor(value) for value in columns[position]]
    return conn.exec_driver_sql(insert.sql, tuple(columns)).all()


def _array_insert(conn: Connection, table: Table, keys: tuple[str, ...], returning: tuple[str, ...]) -> _ArrayInsert:
    dialect = conn.dialect
    arrays, converters = [], []
    for position, name in enumerate(keys):
        column = table.c[name]
        arrays.append(f"%s::{column.type.compile(dialect=dialect)}[]")
        processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(column.type, Float):  # the driver refuses an array of mixed ints and floats
            processor = _floats(processor)
        if processor is not None:
            converters.append((position, processor))
    names = ", ".join(keys)
    sql = (  # in the rows' order, so that generated keys follow it
        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM unnest({', '.join(arrays)}) "
        f"WITH ORDINALITY AS given({names}, given_order) ORDER BY given_order "
        f"ON CONFLICT DO NOTHING RETURNING {', '.join(returning)}"
    )
    return _ArrayInsert(sql, tuple(converters))


def _floats(processor: Callable | None) -> Callable:
    def process(value):
        value = None if value is None else float(value)
        return processor(value) if processor is not None else value

    return process
