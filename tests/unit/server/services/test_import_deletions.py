"""P18: which projects, datasets and items an import of an account's own export leaves out, by its deletion
ledger: those deleted at or after their creation, never one made after the deletion of its name or id."""

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
    return ledger


def test_p18_what_the_ledger_deleted_is_left_out_when_made_before_the_deletion(tmp_path):
    deleted = ledgered_deletions(ledger_of(tmp_path), 7)
    assert [deleted(k, name, BEFORE) for k, name in (("project", "shop"), ("dataset", "golden"))] == [True, True]
    assert deleted("dataset_item", "i-1", DELETED)
    assert not any(deleted(k, name, AFTER) for k, name in (("project", "shop"), ("dataset", "golden")))
    assert not deleted("dataset_item", "i-1", AFTER)


def test_p18_other_names_kinds_and_accounts_are_not_left_out(tmp_path):
    ledger = ledger_of(tmp_path)
    deleted = ledgered_deletions(ledger, 7)
    assert not deleted("project", "blog", BEFORE)  # a time range of a project deletes sessions, not the project
    assert not deleted("dataset", "shop", BEFORE) and not deleted("project", "golden", BEFORE)
    assert not deleted("dataset_item", "i-2", BEFORE)
    assert not ledgered_deletions(ledger, 8)("dataset", "golden", BEFORE)


def test_p18_a_line_being_written_is_not_read(tmp_path):
    ledger = ledger_of(tmp_path)
    with open(ledger.path, "a", encoding="utf-8") as handle:
        handle.write('{"kind": "dataset", "account_id": 7, "at": "2026-')
    assert ledgered_deletions(ledger, 7)("dataset", "golden", BEFORE)
