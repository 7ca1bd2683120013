"""Schema migrations (Alembic): upgrade, downgrade and the start-up check that the schema is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

_MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaOutOfDate(RuntimeError):
    """The database's schema is older (or newer) than this version of PromptWatch expects."""


def _config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The revision(s) this version needs, comma-joined when migrations of separate tables branch."""
    return _joined(ScriptDirectory.from_config(_config()).get_heads())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _joined(MigrationContext.configure(connection).get_current_heads())


def _joined(revisions) -> str | None:
    return ",".join(sorted(revisions)) or None


def upgrade(engine: Engine, revision: str = "heads") -> None:
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)


def is_empty(engine: Engine) -> bool:
    return not inspect(engine).get_table_names()


def ensure_current(engine: Engine, create_if_empty: bool) -> None:
    """Create the schema of an empty database when asked; refuse any other database not at head."""
    if create_if_empty and is_empty(engine):
        upgrade(engine)
        return
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at revision {current or 'none'} but this PromptWatch needs {head}; "
            "run `promptwatch db upgrade` (back up the database first)"
        )
