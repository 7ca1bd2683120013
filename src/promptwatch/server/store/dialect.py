"""The INSERT ... ON CONFLICT construct of the engine's dialect (SQLite and PostgreSQL share its API)."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(connection: Connection | str, table: Table):
    """For a connection, or a dialect name."""
    dialect = connection if isinstance(connection, str) else connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
