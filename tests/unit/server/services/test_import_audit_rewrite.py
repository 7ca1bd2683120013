"""P18: which audit entries an import rewrites by the deletion ledger: those that name a person erased, or (in
the account's own export) a project it deleted, after the entry was written; each as that erasure or deletion
rewrote the log. An entry written after the last deletion of a name names another project or person."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from promptwatch.server.services.import_deletions import forget_in_imported_audit
from promptwatch.server.services.ledger import DeletionLedger
from promptwatch.server.store import accounts as account_store
from promptwatch.server.store.tables.support_access import audit_log
from tests.support.databases import current_store

ERASED, DELETED, ERASED_AGAIN = (datetime(2026, 5, day, tzinfo=timezone.utc) for day in (1, 2, 3))
SECOND = timedelta(seconds=1)
EVE = "eve@example.test"
FIRST_EVE, SECOND_EVE = 41, 42  # she signed up again after her erasure, and was erased again


@pytest.fixture
def engine(backend, tmp_path):
    with current_store(backend, tmp_path) as engine:
        yield engine


def ledger_of(tmp_path, account_id: int) -> DeletionLedger:
    ledger = DeletionLedger(tmp_path / "deletions.jsonl", b"secret")
    for user_id, at in ((FIRST_EVE, ERASED), (SECOND_EVE, ERASED_AGAIN)):
        fields = {"account_id": None, "user_id": user_id, "email_hash": ledger.hash(EVE), "target": f"user:{user_id}"}
        ledger.append({"kind": "user", "at": at, **fields})
    ledger.append({"kind": "project", "account_id": account_id, "at": DELETED, "project_hash": ledger.hash("shop")})
    return ledger


def imported(engine, tmp_path, own: bool) -> tuple[int, list[tuple], DeletionLedger]:
    """The entries as an import leaves them; the import brought all but the last."""
    written = [
        (ERASED - SECOND, "member.invite", "Eve@Example.test", {"to": [EVE]}),
        (DELETED - SECOND, "settings.retention", "shop", {"content_days": 9}),
        (DELETED - SECOND, "member.invite", EVE, {"projects": ["shop", "blog"]}),
        (DELETED + SECOND, "settings.retention", "shop", None),  # a project made again under the name
        (ERASED_AGAIN + SECOND, "member.invite", EVE, None),  # she signed up a third time, and is here
        (ERASED_AGAIN - SECOND, "member.join", f"user:{SECOND_EVE}", None),  # the account knew her by id then
        (ERASED - SECOND, "member.invite", EVE, None),  # already in the account: the import did not bring it
    ]
    with engine.begin() as conn:
        account_id = account_store.create_account(conn, "importer", ERASED)
        ledger = ledger_of(tmp_path, account_id)
        ids = [
            conn.execute(
                insert(audit_log)
                .values(account_id=account_id, at=at, actor="system", action=action, target=target, details=details)
                .returning(audit_log.c.id)
            ).scalar_one()
            for at, action, target, details in written
        ]
        brought = {"audit_log": dict(enumerate(ids[:-1]))}  # by their ids in the archive
        rewritten = forget_in_imported_audit(conn, ledger, account_id, brought, own)
        rows = conn.execute(select(audit_log.c.target, audit_log.c.details).order_by(audit_log.c.id)).all()
    return rewritten, [tuple(row) for row in rows], ledger


def test_p18_an_import_rewrites_what_was_erased_or_deleted_after_the_entry_was_written(engine, tmp_path):
    rewritten, rows, ledger = imported(engine, tmp_path, own=True)
    eve, shop = ledger.hash(EVE), ledger.hash("shop")
    assert rows == [
        (eve, {"to": [eve]}),  # her first erasure: the account never knew that user by id
        (shop, {"content_days": 9}),
        (f"user:{SECOND_EVE}", {"projects": [shop, "blog"]}),  # written between the erasures: her second id
        ("shop", None),
        (EVE, None),
        (f"user:{SECOND_EVE}", None),
        (EVE, None),
    ]
    assert rewritten == 3


def test_p18_another_accounts_archive_keeps_its_project_names_but_not_erased_emails(engine, tmp_path):
    rewritten, rows, ledger = imported(engine, tmp_path, own=False)
    eve = ledger.hash(EVE)
    assert rows[:3] == [
        (eve, {"to": [eve]}),
        ("shop", {"content_days": 9}),
        (f"user:{SECOND_EVE}", {"projects": ["shop", "blog"]}),
    ]
    assert rewritten == 2
