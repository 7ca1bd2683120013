"""Schema migrations (Alembic): upgrade, downgrade and the start-up check that the schema is current.

The start-up check reads the revision ids of the migration files and the `alembic_version` table without
importing Alembic, which would take a fifth of the server's start-up; a test holds it to Alembic's answer."""

from __future__ import annotations

import ast
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, inspect, text

_MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaOutOfDate(RuntimeError):
    """The database's schema is older (or newer) than this version of PromptWatch expects."""


def _config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The revision(s) this version needs, comma-joined when migrations of separate tables branch: every
    revision that no other migration revises."""
    revisions, revised = set(), set()
    for path in (_MIGRATIONS / "versions").glob("*.py"):
        ids = _revision_ids(path)
        revisions.add(ids["revision"])
        down = ids.get("down_revision")
        revised.update(down if isinstance(down, tuple | list) else [down] if down else [])
    return _joined(revisions - revised)


def known_revision(revision: str) -> bool:
    """Whether every revision of a (comma-joined) schema revision is one of this version's migrations: a
    database at an unknown one was made by a later release."""
    ours = {_revision_ids(path)["revision"] for path in (_MIGRATIONS / "versions").glob("*.py")}
    return set(revision.split(",")) <= ours


def _revision_ids(path: Path) -> dict:
    """The literal `revision` and `down_revision` assignments of a migration file."""
    ids = {}
    for node in ast.parse(path.read_text()).body:
        target = (
            node.target
            if isinstance(node, ast.AnnAssign)
            else (node.targets[0] if isinstance(node, ast.Assign) else None)
        )
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and node.value is not None:
            ids[target.id] = ast.literal_eval(node.value)
    return ids


def current_revision(engine: Engine) -> str | None:
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as connection:
        return _joined(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _joined(revisions) -> str | None:
    return ",".join(sorted(revisions)) or None


def upgrade(engine: Engine, revision: str = "heads") -> None:
    from alembic import command

    with _migrating(engine) as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with _migrating(engine) as connection:
        command.downgrade(_config(connection), revision)


@contextmanager
def _migrating(engine: Engine):
    """A connection in one transaction for a migration. On SQLite foreign keys are off meanwhile, as SQLite
    asks for a table rebuild: Alembic alters a table by copying it, and dropping the old copy would delete
    through ON DELETE CASCADE every row that references it (a downgrade once emptied the activity bodies this
    way). The keys are checked before the commit."""
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection if connection.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")  # outside a transaction, where SQLite honours it
        try:
            with connection.begin():
                yield connection
                if raw is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration would leave rows without their parent: {broken[:5]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


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
