"""P18: erasing several people at once (an account's deletion erases everyone whose only account it was) rewrites
the audit log for all of them in one pass: one read of the entries that hold any of their e-mails, one of the
accounts that know them by id, whatever their number; each entry is rewritten for every person it names."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import event, select

from promptwatch.server.services import audit
from promptwatch.server.services.ledger import DeletionLedger
from promptwatch.server.services.user_erasure import erase_users, erasure_entry
from promptwatch.server.store import accounts as account_store
from promptwatch.server.store.tables.support_access import audit_log
from tests.support.databases import current_store

NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)


@pytest.fixture
def engine(backend, tmp_path):
    with current_store(backend, tmp_path) as engine:
        yield engine


def audit_reads(engine, statements: list[str]) -> None:
    def note(_conn, _cursor, statement, *_rest) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM audit_log" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)


def test_p18_erasing_several_people_at_once_rewrites_each_ones_entries_in_one_pass(engine, tmp_path):
    ledger = DeletionLedger(tmp_path / "deletions.jsonl", b"secret")
    ann, bob, cy, dan = "Ann@Example.test", "bob@example.test", "cy@example.test", "dan@example.test"
    with engine.begin() as conn:
        team, other = (account_store.create_account(conn, name, NOW) for name in ("team", "other"))
        ids = {email: account_store.create_user(conn, email, None, NOW) for email in (ann, bob, cy, dan)}
        for email in (ann, bob):  # cy signed up and was only invited; dan stays
            account_store.add_membership(conn, team, ids[email], "member", NOW)
        planted = [
            (team, "member.invite", ann.upper(), {"role": "member", "to": [ann, bob]}),  # names two of them
            (other, "member.invite", bob, {"to": [ann, cy], "email": bob.upper()}),
            (other, "member.remove", f"user:{ids[bob]}", None),  # `other` knows bob by id
            (team, "member.invite", cy, None),
            (team, "member.invite", f"x{ann}", {"note": f"{ann}."}),  # other texts that hold an address
            (other, "member.invite", dan, {"to": [dan]}),
        ]
        for account, action, target, details in planted:
            audit.record(conn, account, "system", action, target, details)
        erasures = [erasure_entry(ledger, account_store.get_user(conn, ids[email])) for email in (ann, bob, cy)]
    hashed = {email: erasure["email_hash"] for email, erasure in zip((ann, bob, cy), erasures, strict=True)}
    user = {email: f"user:{ids[email]}" for email in (ann, bob)}

    statements: list[str] = []
    audit_reads(engine, statements)
    with engine.begin() as conn:
        assert erase_users(conn, erasures)["users"] == 3
    assert len(statements) == 2, statements  # the entries holding any address; who knows them by id

    with engine.connect() as conn:
        columns = audit_log.c
        rows = conn.execute(select(columns.target, columns.details).order_by(columns.id)).all()
    assert [tuple(row) for row in rows] == [
        (user[ann], {"role": "member", "to": [user[ann], user[bob]]}),
        (user[bob], {"to": [hashed[ann], hashed[cy]], "email": user[bob]}),
        (user[bob], None),
        (hashed[cy], None),
        (f"x{ann}", {"note": f"{ann}."}),
        (dan, {"to": [dan]}),
    ]
