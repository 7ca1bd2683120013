"""Column types that hide the differences between SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, LargeBinary
from sqlalchemy.dialects.postgresql import BYTEA, JSONB
from sqlalchemy.types import TypeDecorator

JsonDoc = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")  # None is SQL NULL
Blob = LargeBinary().with_variant(BYTEA(), "postgresql")


_SQLITE_TEXT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


class UtcDateTime(TypeDecorator):
    """An aware datetime stored as UTC; SQLite keeps it as sortable text, PostgreSQL as timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        value = _as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect):
        """On SQLite, one step straight to SQLAlchemy's DATETIME text (`YYYY-MM-DD HH:MM:SS.ffffff`): the
        writer binds several datetimes per activity, and the two stacked processors cost twice as much. The
        text is formatted from the fields: `replace(tzinfo=None).isoformat()` takes twice as long."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None):
            if value is None:
                return None
            v = value if value.tzinfo is timezone.utc else _as_utc(value)
            return _SQLITE_TEXT % (v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)

        return process

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(timezone.utc)
