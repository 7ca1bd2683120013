"""ids not reused: on SQLite a new user or project never gets the id of a deleted one

Audit entries name people `user:<id>`, and deletion receipts and the deletion ledger name projects by id. An
INTEGER PRIMARY KEY without AUTOINCREMENT gives the largest id again once its row is deleted, so an erased
person's entries would seem to name the next user. The tables are rebuilt with AUTOINCREMENT (the counter
starts at the largest id they hold or the audit log, or for projects the receipts, name); PostgreSQL's
identities never reuse an id and are left as they are.

Revision ID: 0021_ids_not_reused
Revises: 0001
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0021_ids_not_reused"
down_revision = "0001"  # users and projects are created by 0001
branch_labels = None
depends_on = None

TABLES = ("users", "projects")


def upgrade() -> None:
    """SQLite: each table copied into one with AUTOINCREMENT. The foreign keys that reference it name it, so
    they hold (`schema_version._migrating` keeps them off meanwhile and checks them after)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TABLES:
        with op.batch_alter_table(name, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass  # the copy is the change
    _reserve_named_ids(op.get_bind(), {"users": (("user:", "staff:"), ())})
    inspector = sa.inspect(op.get_bind())
    receipts = "deletion_receipts" in inspector.get_table_names()
    if receipts and "project_id" in {column["name"] for column in inspector.get_columns("deletion_receipts")}:
        named = op.get_bind().execute(sa.text("SELECT coalesce(max(project_id), 0) FROM deletion_receipts"))
        _reserve(op.get_bind(), "projects", named.scalar_one())


def downgrade() -> None:
    """SQLite: each table copied into one without AUTOINCREMENT, its key named as 0001 named it."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TABLES:
        with op.batch_alter_table(name, recreate="always") as batch:
            batch.create_primary_key(f"pk_{name}", ["id"])


def _reserve_named_ids(conn, names: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]) -> None:
    """Each table's counter at least the largest id the audit log names for it ({table: (prefixes of a target
    or an actor, keys of the details)}), so that an id deleted before this revision, whose row no longer says
    it was taken, is not given again either."""
    if "audit_log" not in sa.inspect(conn).get_table_names():
        return
    highest = dict.fromkeys(names, 0)
    for actor, target, details in conn.execute(sa.text("SELECT actor, target, details FROM audit_log")):
        parsed = json.loads(details) if isinstance(details, str) and details.startswith("{") else {}
        for table, (prefixes, keys) in names.items():
            for value in (actor, target):
                for prefix in prefixes:
                    if isinstance(value, str) and value.startswith(prefix) and value[len(prefix) :].isdigit():
                        highest[table] = max(highest[table], int(value[len(prefix) :]))
            for key in keys:
                if isinstance(parsed.get(key), int):
                    highest[table] = max(highest[table], parsed[key])
    for table, seq in highest.items():
        _reserve(conn, table, seq)


def _reserve(conn, table: str, seq: int) -> None:
    if seq <= 0:
        return
    given = {"table": table, "seq": seq}
    conn.execute(
        sa.text(
            "INSERT INTO sqlite_sequence(name, seq) SELECT :table, 0 WHERE NOT EXISTS "
            "(SELECT 1 FROM sqlite_sequence WHERE name = :table)"
        ),
        given,
    )
    conn.execute(sa.text("UPDATE sqlite_sequence SET seq = :seq WHERE name = :table AND seq < :seq"), given)
