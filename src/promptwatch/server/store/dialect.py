"""What differs between SQLite and PostgreSQL in the statements the store builds: the INSERT ... ON CONFLICT
construct (they share its API), a list of values bound as one parameter, and a column no index may serve."""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from sqlalchemy import ARRAY, Connection, Table, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op


def insert_for(connection: Connection | str, table: Table):
    """For a connection, or a dialect name."""
    dialect = connection if isinstance(connection, str) else connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def in_list(column, name: str, dialect: str):
    """`column IN (the values of the list bound as the parameter `name`)`. The statement's text is the same
    whatever the list's length, so it is compiled and prepared once (an expanding IN is rendered and prepared
    again for every length). Bind the list with `list_value`."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(name))))


def list_value(dialect: str, values: Iterable):
    """The value of an `in_list` parameter: an array on PostgreSQL, a JSON array on SQLite (`json_each`)."""
    return list(values) if dialect == "postgresql" else orjson.dumps(list(values)).decode()


def unindexed(column):
    """`+column` for SQLite: the same value, but its planner uses no index for it (PostgreSQL has no unary `+`
    on text, and plans from statistics)."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)
