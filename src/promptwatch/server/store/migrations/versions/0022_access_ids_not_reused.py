"""access ids not reused: on SQLite a new invitation, share link or support grant never gets a deleted one's id

Audit entries name invitations `invitation:<id>`, share links by id (`link`) and grants `grant:<id>`, and the
deletion ledger names all three by id. Their rows are deleted (an invitee's erasure, the deletion of a project,
a session, a dataset or an account); an INTEGER PRIMARY KEY without AUTOINCREMENT would give the largest id
again. The tables are rebuilt with AUTOINCREMENT (the counter starts at the largest id they hold or the audit
log names); PostgreSQL's identities never reuse an id and are left as they are.

Revision ID: 0022_access_ids_not_reused
Revises: 0003_access
"""

import json

import sqlalchemy as sa
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
    _reserve_named_ids(
        op.get_bind(),
        {
            "invitations": (("invitation:",), ("invitation",)),
            "share_links": ((), ("link",)),
            "support_grants": (("grant:",), ("grant_id",)),
        },
    )


def downgrade() -> None:
    """SQLite: each table copied into one without AUTOINCREMENT, its key named as 0003_access named it."""
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
