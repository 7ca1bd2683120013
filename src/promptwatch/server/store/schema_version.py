"""Schema migrations (Alembic): upgrade, downgrade and the start-up check that the schema is current.

The start-up check reads the revision ids of the migration files and the `alembic_version` table without
importing Alembic, which would take a fifth of the server's start-up; a test holds it to Alembic's answer.
Migrations run under an advisory lock on PostgreSQL: servers started at once on an empty database take turns,
and the second finds the schema made."""

from __future__ import annotations

import ast
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from .locks import wait_for_lock

_MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATIONS_LOCK = "schema-migrations"


class SchemaOutOfDate(RuntimeError):
    """The database's schema is older (or newer) than this version of PromptWatch expects."""


class SchemaFromNewerRelease(SchemaOutOfDate):
    """The database's schema is at a revision this version does not know: a later release made it."""


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
    return not _unknown_revisions(revision)


def _unknown_revisions(revision: str) -> list[str]:
    ours = {_revision_ids(path)["revision"] for path in (_MIGRATIONS / "versions").glob("*.py")}
    return sorted(set(revision.split(",")) - ours)


def refuse_newer_schema(revision: str | None) -> None:
    """Raise SchemaFromNewerRelease when a (comma-joined) schema revision has one this version does not know:
    no migration of this version leads from it, so neither start-up nor an upgrade can go on."""
    unknown = _unknown_revisions(revision) if revision else []
    if unknown:
        raise SchemaFromNewerRelease(
            f"the database was made by a newer PromptWatch (schema revision {', '.join(unknown)}, unknown to this "
            "one); run that release, or restore a backup made with this one"
        )


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
    with engine.connect() as connection:
        return _revision_of(connection)


def _revision_of(connection) -> str | None:
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    return _joined(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _joined(revisions) -> str | None:
    return ",".join(sorted(revisions)) or None


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Migrate to `revision`; refuses a schema a newer release made (`refuse_newer_schema`)."""
    from alembic import command

    with _migrating(engine) as connection:
        refuse_newer_schema(_revision_of(connection))
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
    way). The keys are checked before the commit. On PostgreSQL the transaction holds MIGRATIONS_LOCK first:
    a second process migrating at once waits, then finds the first one's work done."""
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection if connection.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")  # outside a transaction, where SQLite honours it
        try:
            with connection.begin():
                wait_for_lock(connection, MIGRATIONS_LOCK)
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
    """Create the schema of an empty database when asked (a process that does so at the same moment as another
    waits for it, see `_migrating`); refuse any other database not at head."""
    if create_if_empty and is_empty(engine):
        upgrade(engine)
        return
    current, head = current_revision(engine), head_revision()
    refuse_newer_schema(current)
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at revision {current or 'none'} but this PromptWatch needs {head}; "
            "run `promptwatch db upgrade` (back up the database first)"
        )
