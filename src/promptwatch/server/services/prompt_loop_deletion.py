"""Deleting prompt-loop objects (P18): a template with its versions and labels, one template version, a
unit-test run, or a whole unit test with its runs; and a cache namespace cleared, again after a restore. The
kinds of `services/deletion.py`: ledger entries hold keyed hashes of the names and the run ids, and
re-applying one after a restore finds the objects again by hash.

A template's executions are the customer's traces: they stay, only their link to the template is cleared
(the receipt counts them as `executions_unlinked`): their template name, like their hourly usage figures,
reads `(deleted template)`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from ..errors import Conflict, Forbidden, NotFound
from ..store import deletion as deletion_store
from ..store import prompt_cache as cache_store
from ..store import templates as template_store
from ..store import unit_tests as test_store
from ..store.templates import DELETED_TEMPLATE
from .credentials import Caller
from .ledger import LedgerEntry


def _add(total: dict, counts: dict) -> dict:
    for name, value in counts.items():
        total[name] = total.get(name, 0) + value
    return total


def _template(conn: Connection, account_id: int, entry: LedgerEntry, _now: datetime) -> dict:
    counts: dict = {}
    for name in template_store.template_names(conn, account_id):
        if entry.holds("template_hash", name):
            _add(counts, template_store.delete_template(conn, account_id, name))
            # its calls' cost and usage stay in the account's figures, under a label that is not its name
            deletion_store.relabel_aggregates(conn, account_id, "template_name", name, DELETED_TEMPLATE)
    return counts


def _template_version(conn: Connection, account_id: int, entry: LedgerEntry, _now: datetime) -> dict:
    counts: dict = {}
    for name in template_store.template_names(conn, account_id):
        if not entry.holds("template_hash", name):
            continue
        pk = template_store.template_pk(conn, account_id, name)
        for row in template_store.versions(conn, pk):
            if entry.holds("version_hash", row["version"]):
                _add(counts, template_store.delete_version(conn, account_id, name, row["version"]))
    return counts


def _test_run(conn: Connection, account_id: int, entry: dict, _now: datetime) -> dict:
    return test_store.delete_runs(conn, account_id, run_ids=entry["run_ids"])


def _test(conn: Connection, account_id: int, entry: LedgerEntry, _now: datetime) -> dict:
    counts: dict = {}
    for name in test_store.test_names(conn, account_id):
        if entry.holds("test_hash", name):
            _add(counts, test_store.delete_runs(conn, account_id, test_name=name))
    return counts


def _cache_cleared(conn: Connection, account_id: int, entry: LedgerEntry, _now: datetime) -> dict:
    """A namespace cleared (`PromptCacheService.clear`), found again by its keyed hash."""
    until = datetime.fromisoformat(entry["until"]) if entry.get("until") else None
    names = {row["namespace"] for row in cache_store.namespaces(conn, account_id)}
    names |= set(cache_store.lookups_by_namespace(conn, account_id))
    cleared = [name for name in sorted(names) if entry.holds("namespace_hash", name)]
    return {"cache_entries": sum(cache_store.clear(conn, account_id, name, until) for name in cleared)}


PROMPT_LOOP_WORK = {
    "cache_cleared": _cache_cleared,
    "template": _template,
    "template_version": _template_version,
    "test_run": _test_run,
    "test": _test,
}


def _account_wide(caller: Caller) -> None:
    caller.require("ingest")  # members delete, viewers do not
    if caller.project:
        raise Forbidden("templates and unit tests belong to the whole account; use an account-wide credential")


class PromptLoopDeletions:
    """The prompt-loop methods of `DeletionService` (which provides `_rt` and `_delete`)."""

    def delete_template(self, caller: Caller, name: str) -> dict:
        _account_wide(caller)
        with self._rt.engine.connect() as conn:
            if template_store.template_pk(conn, caller.account_id, name) is None:
                raise NotFound(f"no template {name!r}")
        return self._delete(caller, "template", self.ledger.hash(name), {"template_hash": self.ledger.hash(name)})

    def delete_template_version(self, caller: Caller, name: str, version: str, force: bool = False) -> dict:
        """Refused (409) while a label points at the version, unless `force`: then those labels are deleted
        with it (no label is moved silently to another version)."""
        _account_wide(caller)
        with self._rt.engine.connect() as conn:
            pk = template_store.template_pk(conn, caller.account_id, name)
            if pk is None or template_store.version(conn, pk, version) is None:
                raise NotFound(f"template {name!r} has no version {version!r}")
            labels = template_store.labels_at(conn, pk, version)
        if labels and not force:
            raise Conflict(
                f"the labels {', '.join(labels)} point at version {version!r}: move them first, "
                "or delete them with the version (force=true)"
            )
        entry = {"template_hash": self.ledger.hash(name), "version_hash": self.ledger.hash(version)}
        return self._delete(caller, "template_version", f"{entry['template_hash']}@{entry['version_hash']}", entry)

    def delete_test_run(self, caller: Caller, run_id: str) -> dict:
        _account_wide(caller)
        with self._rt.engine.connect() as conn:
            if test_store.run_pk(conn, caller.account_id, run_id) is None:
                raise NotFound(f"no test run {run_id!r}")
        return self._delete(caller, "test_run", run_id, {"run_ids": [run_id]})

    def delete_test(self, caller: Caller, test_name: str) -> dict:
        _account_wide(caller)
        with self._rt.engine.connect() as conn:
            if test_name not in test_store.test_names(conn, caller.account_id):
                raise NotFound(f"no unit test {test_name!r}")
        return self._delete(caller, "test", self.ledger.hash(test_name), {"test_hash": self.ledger.hash(test_name)})
