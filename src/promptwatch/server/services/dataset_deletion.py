"""Deleting datasets (P18): a whole dataset with its items and share links, or single items. The kinds of
`services/deletion.py`: ledger entries hold a keyed hash of the dataset's name and the item ids, and re-applying
one after a restore finds the objects again. A project's deletion takes its datasets through the registry
and their share links through `delete_project_share_links`; an end user's erasure takes the items copied
from their calls (`store/datasets.py` `delete_copies`). An archive's import leaves out what these entries name
(`import_deletions.py`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from ..store import datasets as dataset_store
from ..store import sharing as share_store
from .credentials import Caller
from .datasets import DatasetService
from .ledger import LedgerEntry


def _dataset(conn: Connection, account_id: int, entry: LedgerEntry, _now: datetime) -> dict:
    counts = {"datasets": 0, "dataset_items": 0, "share_links": 0}
    for name in dataset_store.dataset_names(conn, account_id):
        if entry.holds("dataset_hash", name):
            counts["share_links"] += share_store.delete_links(conn, account_id, "dataset", name)
            for kind, value in dataset_store.delete_dataset(conn, account_id, name).items():
                counts[kind] += value
    return counts


def _dataset_item(conn: Connection, account_id: int, entry: dict, _now: datetime) -> dict:
    return dataset_store.delete_items(conn, account_id, entry["item_ids"])


def delete_project_share_links(conn: Connection, account_id: int, project_id: int) -> int:
    """The share links of a project's datasets, deleted with them: a later dataset of the same name is never
    reachable through them."""
    names = dataset_store.dataset_names(conn, account_id, project_id)
    return sum(share_store.delete_links(conn, account_id, "dataset", name) for name in names)


DATASET_WORK = {"dataset": _dataset, "dataset_item": _dataset_item}


class DatasetDeletions:
    """The dataset methods of `DeletionService` (which provides `_rt` and `_delete`); members delete."""

    def delete_dataset(self, caller: Caller, name: str) -> dict:
        caller.require_role("member")
        DatasetService(self._rt).get(caller, name)  # exists, and the caller may read it
        return self._delete(caller, "dataset", self.ledger.hash(name), {"dataset_hash": self.ledger.hash(name)})

    def delete_dataset_item(self, caller: Caller, name: str, item_id: str) -> dict:
        caller.require_role("member")
        DatasetService(self._rt).require_item(caller, name, item_id)
        return self._delete(caller, "dataset_item", item_id, {"item_ids": [item_id]})
