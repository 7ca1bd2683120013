"""Whether a row's tags (a JSON list of texts) hold a given tag, as the list filters ask (`?tag=`): SQLite reads
the list with `json_each`, PostgreSQL's jsonb answers `?` (an element equal to the text)."""

from __future__ import annotations

from sqlalchemy import String, exists, func, literal


def has_tag(column, tag: str, dialect: str):
    """The condition that `column`, a tags column of the query's table, holds `tag`."""
    if dialect == "sqlite":
        elements = func.json_each(column).table_valued("value")
        return exists().where(elements.c.value == tag)
    return column.op("?")(literal(tag, String()))
