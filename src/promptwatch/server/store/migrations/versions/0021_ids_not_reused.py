"""ids not reused: on SQLite a new user or project never gets the id of a deleted one

Audit entries name people `user:<id>`, and deletion receipts and the deletion ledger name projects by id. An
INTEGER PRIMARY KEY without AUTOINCREMENT gives the largest id again once its row is deleted, so an erased
person's entries would seem to name the next user. The tables are rebuilt with AUTOINCREMENT (the counter
starts at the largest id they hold); PostgreSQL's identities never reuse an id and are left as they are.

Revision ID: 0021_ids_not_reused
Revises: 0001
"""

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


def downgrade() -> None:
    """SQLite: each table copied into one without AUTOINCREMENT, its key named as 0001 named it."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TABLES:
        with op.batch_alter_table(name, recreate="always") as batch:
            batch.create_primary_key(f"pk_{name}", ["id"])
