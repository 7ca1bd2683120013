"""access ids not reused: on SQLite a new invitation, share link or support grant never gets a deleted one's id

Audit entries name invitations `invitation:<id>`, share links by id (`link`) and grants `grant:<id>`, and the
deletion ledger names all three by id. Their rows are deleted (an invitee's erasure, the deletion of a project,
a session, a dataset or an account); an INTEGER PRIMARY KEY without AUTOINCREMENT would give the largest id
again. The tables are rebuilt with AUTOINCREMENT (the counter starts at the largest id they hold); PostgreSQL's
identities never reuse an id and are left as they are.

Revision ID: 0022_access_ids_not_reused
Revises: 0003_access
"""

from alembic import op

revision = "0022_access_ids_not_reused"
down_revision = "0003_access"  # invitations, share_links and support_grants are created by 0003_access
branch_labels = None
depends_on = None

TABLES = ("invitations", "share_links", "support_grants")


def upgrade() -> None:
    """SQLite: each table copied into one with AUTOINCREMENT. The foreign keys that reference it name it, so
    they hold (`schema_version._migrating` keeps them off meanwhile and checks them after)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TABLES:
        with op.batch_alter_table(name, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass  # the copy is the change


def downgrade() -> None:
    """SQLite: each table copied into one without AUTOINCREMENT, its key named as 0003_access named it."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TABLES:
        with op.batch_alter_table(name, recreate="always") as batch:
            batch.create_primary_key(f"pk_{name}", ["id"])
