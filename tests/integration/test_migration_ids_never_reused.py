"""Migrations 0021 and 0022 rebuild on SQLite the tables whose ids name people and objects in audit entries,
receipts and the deletion ledger, so that a deleted row's id is never given again; the rows that reference
them keep their foreign keys, and the downgrade copies them back as they were. PostgreSQL is left as it is."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from promptwatch.server.store import accounts as account_store
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.lifecycle import add_receipt
from promptwatch.server.store.schema_version import current_revision, downgrade, head_revision, upgrade
from promptwatch.server.store.tables.accounts import memberships, projects, users
from promptwatch.server.store.tables.members import invitations
from promptwatch.server.store.tables.sharing import share_links
from promptwatch.server.store.tables.support_access import audit_log, support_grants
from tests.support.databases import fresh_database

from .test_migrations import NOW

OURS = ("0021_ids_not_reused", "0022_access_ids_not_reused")
LATER = NOW + timedelta(days=1)


def row(table, n: int, account: int, user: int | None) -> dict:
    """The columns a row of `table` needs; `n` makes it unique, `user` is who made it."""
    values = {
        users: {"email": f"person-{n}@example.test", "disabled": False},
        projects: {"account_id": account, "name": f"project-{n}"},
        invitations: {"account_id": account, "token_hash": f"i{n}", "email": f"invited-{n}@example.test",
                      "role": "member", "invited_by": user, "expires_at": LATER},
        share_links: {"account_id": account, "token_hash": f"l{n}", "kind": "session", "object_id": f"s{n}",
                      "created_by": f"user:{user}", "expires_at": LATER, "views": 0},
        support_grants: {"account_id": account, "scope": "account", "reason": f"ticket {n}", "created_by": user,
                         "expires_at": LATER},
    }  # fmt: skip
    return {**values[table], "created_at": NOW}


def insert(conn, table, n: int, account: int, user: int | None = None) -> int:
    return conn.execute(table.insert().returning(table.c.id), row(table, n, account, user)).scalar_one()


def test_0021_and_0022_give_a_deleted_row_s_id_to_no_new_row_and_keep_the_keys_on_them(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        for revision in OURS:
            downgrade(engine, f"{revision}@-1")
        assert not set(OURS) & set(current_revision(engine).split(","))
        with engine.begin() as conn:  # a store before the migrations, with rows in every table they rebuild
            account = account_store.create_account(conn, "acme", NOW)
            insert(conn, users, 1, account)
            newest = {users: insert(conn, users, 2, account)}
            conn.execute(memberships.insert(), {"account_id": account, "user_id": newest[users], "role": "member",
                                                "created_at": NOW})  # fmt: skip
            for table in (projects, invitations, share_links, support_grants):
                insert(conn, table, 1, account, newest[users])
                newest[table] = insert(conn, table, 2, account, newest[users])
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.begin() as conn:
            for table, newest_id in newest.items():
                conn.execute(delete(table).where(table.c.id == newest_id))
            assert conn.execute(select(func.count()).select_from(memberships)).scalar() == 0  # still cascades
            assert conn.execute(select(support_grants.c.created_by)).scalars().all() == [None]  # still set null
            for table, newest_id in newest.items():
                assert insert(conn, table, 3, account) > newest_id, table.name
        for revision in OURS:
            downgrade(engine, f"{revision}@-1")
        with engine.begin() as conn:
            for table in newest:
                assert conn.execute(select(func.count()).select_from(table)).scalar() == 2, table.name
                insert(conn, table, 4, account)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        engine.dispose()


NAMED = {  # how the audit log names a row of each table: (target, details)
    users: lambda n: (f"user:{n}", None),
    invitations: lambda n: (f"invitation:{n}", None),
    share_links: lambda n: ("session:s1", {"link": n}),
    support_grants: lambda n: (f"grant:{n}", None),
}


def test_0021_and_0022_never_give_an_id_the_audit_log_or_a_receipt_names_though_its_row_went_before(
    backend, tmp_path
):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        for revision in OURS:
            downgrade(engine, f"{revision}@-1")
        with engine.begin() as conn:  # the newest row of each table deleted before the migrations, named still
            account = account_store.create_account(conn, "acme", NOW)
            user = insert(conn, users, 1, account)
            gone = {table: insert(conn, table, 2, account, user) for table in (projects, *NAMED)}
            for table, named in NAMED.items():
                target, details = named(gone[table])
                conn.execute(audit_log.insert(), {"account_id": account, "at": NOW, "actor": f"user:{user}",
                                                  "action": "named", "target": target, "details": details})  # fmt: skip
            add_receipt(conn, id="r1", account_id=account, kind="project", target="h", counts={}, requested_at=NOW,
                        unreadable_at=NOW, purged_at=None, project_id=gone[projects])  # fmt: skip
            for table, gone_id in gone.items():
                conn.execute(delete(table).where(table.c.id == gone_id))
        upgrade(engine)
        with engine.begin() as conn:
            for table, gone_id in gone.items():
                assert insert(conn, table, 5, account, user) > gone_id, table.name
        engine.dispose()
