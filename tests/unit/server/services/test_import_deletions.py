"""P18: which projects, datasets and items an import of an account's own export leaves out, by its deletion
ledger, and which invitations an import of any archive leaves out, by the erasures the ledger holds: those deleted
or erased at or after their creation, never one made after the deletion of its name or id or the erasure of its
e-mail."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from promptwatch.server.services.import_deletions import ledgered_deletions
from promptwatch.server.services.ledger import DeletionLedger

DELETED = datetime(2026, 5, 1, tzinfo=timezone.utc)
BEFORE, AFTER = DELETED - timedelta(seconds=1), DELETED + timedelta(seconds=1)


def ledger_of(tmp_path) -> DeletionLedger:
    ledger = DeletionLedger(tmp_path / "ledger.jsonl", b"secret")
    for kind, fields in (
        ("project", {"project_hash": ledger.hash("shop")}),
        ("dataset", {"dataset_hash": ledger.hash("golden")}),
        ("dataset_item", {"item_ids": ["i-1"]}),
        ("time_range", {"project_hash": ledger.hash("blog"), "since": None, "until": None}),
    ):
        ledger.append({"kind": kind, "account_id": 7, "at": DELETED, **fields})
    erasure = {"kind": "user", "account_id": None, "at": DELETED, "user_id": 41, "target": "user:41"}
    ledger.append({**erasure, "email_hash": ledger.hash("eve@example.test")})
    return ledger


def test_p18_what_the_ledger_deleted_is_left_out_when_made_before_the_deletion(tmp_path):
    deleted = ledgered_deletions(ledger_of(tmp_path), 7, own=True)
    assert [deleted(k, name, BEFORE) for k, name in (("project", "shop"), ("dataset", "golden"))] == [True, True]
    assert deleted("dataset_item", "i-1", DELETED)
    assert not any(deleted(k, name, AFTER) for k, name in (("project", "shop"), ("dataset", "golden")))
    assert not deleted("dataset_item", "i-1", AFTER)


def test_p18_other_names_kinds_and_accounts_are_not_left_out(tmp_path):
    ledger = ledger_of(tmp_path)
    deleted = ledgered_deletions(ledger, 7, own=True)
    assert not deleted("project", "blog", BEFORE)  # a time range of a project deletes sessions, not the project
    assert not deleted("dataset", "shop", BEFORE) and not deleted("project", "golden", BEFORE)
    assert not deleted("dataset_item", "i-2", BEFORE)
    assert not ledgered_deletions(ledger, 8, own=True)("dataset", "golden", BEFORE)


def test_p18_a_line_being_written_is_not_read(tmp_path):
    ledger = ledger_of(tmp_path)
    with open(ledger.path, "a", encoding="utf-8") as handle:
        handle.write('{"kind": "dataset", "account_id": 7, "at": "2026-')
    assert ledgered_deletions(ledger, 7, own=True)("dataset", "golden", BEFORE)


def test_p18_an_erased_persons_address_is_left_out_of_any_accounts_import_when_named_before_the_erasure(tmp_path):
    ledger = ledger_of(tmp_path)
    for account_id, own in ((7, True), (7, False), (8, False)):  # an erasure is the whole instance's
        deleted = ledgered_deletions(ledger, account_id, own=own)
        assert deleted("user", "Eve@Example.TEST", BEFORE) and deleted("user", "eve@example.test", DELETED)
        assert not deleted("user", "eve@example.test", AFTER)  # invited after her erasure: another person
        assert not deleted("user", "adam@example.test", BEFORE)


def test_p18_another_accounts_archive_leaves_out_none_of_the_accounts_own_deletions(tmp_path):
    deleted = ledgered_deletions(ledger_of(tmp_path), 7, own=False)
    assert not any(deleted(k, name, BEFORE) for k, name in (("project", "shop"), ("dataset", "golden")))
    assert not deleted("dataset_item", "i-1", BEFORE)
