"""The cleanup cycle: retention policies, expired sandbox accounts and interrupted bulk deletions, then the
physical purge of what the database engine keeps after a deletion (full-text segments, WAL, dead tuples), and
deletion receipts marked purged. Sessions go in transactions of `deletion_chunk_activities` activities, so
ingestion goes on meanwhile. Run by the cleanup worker every `cleanup_interval_seconds` and by
`promptwatch cleanup`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..store import deletion as deletion_store
from ..store import lifecycle as lifecycle_store
from ..store import maintenance
from .access_log import purge_expired_access_log
from .backups import expire_backups
from .clock import utc_now
from .deletion import DeletionService
from .retention import cutoff, purge_entry
from .runtime import Runtime

Progress = Callable[[str, int], None]
INTERRUPTED_AFTER = timedelta(hours=1)  # a bulk deletion still at work is younger than this
LEDGER_LOOKBACK = timedelta(days=7)  # how far back the cycle looks for deletions that never got their receipt


@dataclass
class CycleReport:
    started_at: datetime
    finished_at: datetime | None = None
    retention: dict[str, int] = field(default_factory=dict)
    expired_accounts: int = 0
    receipts_purged: int = 0
    backups_expired: list[str] = field(default_factory=list)
    access_log_purged: int = 0
    interrupted_deletions: int = 0
    interrupted_sessions: int = 0
    steps: list[str] = field(default_factory=list)


def run_cleanup_cycle(runtime: Runtime, now: datetime | None = None, progress: Progress | None = None) -> CycleReport:
    """One cycle; `now` is injectable so tests never wait for real time to pass."""
    now = now or utc_now()
    report = CycleReport(started_at=now)
    note = progress or (lambda _step, _count: None)
    engine = runtime.engine
    with engine.connect() as conn:
        policies = lifecycle_store.policies(conn)
    for policy in policies:
        _apply_policy(runtime, policy, now, report, note)
    note("retention", sum(report.retention.values()))
    with engine.connect() as conn:
        expired = maintenance.expired_sandbox_accounts(conn, now)
    for account_id in expired:
        _delete_sessions(runtime, account_id, None, now, note)
        with runtime.cache_tally.settled(account_id) as conn:
            deletion_store.delete_account_data(conn, account_id, now)
        report.expired_accounts += 1
    report.interrupted_deletions = DeletionService(runtime).finish_interrupted(
        older_than=now - INTERRUPTED_AFTER, newer_than=now - LEDGER_LOOKBACK
    )
    note("interrupted deletions carried out again", report.interrupted_deletions)
    with engine.connect() as conn:  # and any session left with a tombstone (say, a ledger kept elsewhere)
        interrupted = deletion_store.tombstoned_session_pks(conn, before=now - INTERRUPTED_AFTER)
    for account_id, pks in interrupted.items():
        report.interrupted_sessions += _delete_sessions(runtime, account_id, pks, now, note)["sessions"]
    note("interrupted deletions finished: sessions", report.interrupted_sessions)
    maintenance.purge_engine_leftovers(engine, note)
    report.steps.append("engine purge")
    report.backups_expired = expire_backups(runtime, now)
    report.access_log_purged = purge_expired_access_log(runtime)
    note("backups expired", len(report.backups_expired))
    with engine.begin() as conn:
        report.receipts_purged = lifecycle_store.mark_purged(conn, up_to=now, now=utc_now())
    report.finished_at = utc_now()
    return report


def _delete_sessions(runtime: Runtime, account_id: int, pks: list[int] | None, now: datetime, note: Progress) -> dict:
    """Sessions (all of the account's when `pks` is None) with their activities; the roll-ups stay."""
    if pks is None:
        with runtime.engine.connect() as conn:
            pks = deletion_store.session_pks(conn, account_id)
    limit = runtime.settings.deletion_chunk_activities
    return deletion_store.delete_sessions_in_chunks(runtime.engine, account_id, pks, now, True, limit, note)


def _apply_policy(runtime: Runtime, policy, now: datetime, report: CycleReport, note: Progress) -> None:
    account_id, project_id = policy["account_id"], policy["project_id"] or None
    before = cutoff(now, policy["content_days"])
    if before is not None:
        with runtime.engine.connect() as conn:
            pks = deletion_store.session_pks(conn, account_id, project_id=project_id, before=before)
            except_projects = _projects_with_own_policy(conn, account_id) if project_id is None else []
            if except_projects:
                own = _pks_of(conn, account_id, except_projects, before)
                pks = [pk for pk in pks if pk not in own]
        if pks:  # in the ledger before the work, as a deletion is: a restore purges them again
            entry = purge_entry(account_id, project_id, before, "retention", utc_now(), except_projects=except_projects)
            runtime.ledger.append(entry)
        counts = _delete_sessions(runtime, account_id, pks, now, note)
        report.retention["activities"] = report.retention.get("activities", 0) + counts["activities"]
        report.retention["sessions"] = report.retention.get("sessions", 0) + counts["sessions"]
        note("retention: sessions", counts["sessions"])
    before = cutoff(now, policy["aggregate_days"])
    if before is not None:
        if project_id is None:  # the account's own policy: the cache's lookup counts of those days go too
            transaction = runtime.cache_tally.settled(account_id, before=before)
        else:
            transaction = runtime.engine.begin()
        with transaction as conn:
            removed = maintenance.delete_aggregates_before(conn, account_id, project_id, before)
            if removed:
                runtime.ledger.append(purge_entry(account_id, project_id, before, "retention_aggregates", utc_now()))
        report.retention["aggregate_rows"] = report.retention.get("aggregate_rows", 0) + removed


def _projects_with_own_policy(conn, account_id: int) -> list[int]:
    """The projects that have a policy of their own: the account default does not apply to them."""
    policies = lifecycle_store.policies(conn, account_id)
    return [p["project_id"] for p in policies if p["project_id"] and p["content_days"]]


def _pks_of(conn, account_id: int, project_ids: list[int], before: datetime) -> set[int]:
    found: set[int] = set()
    for project_id in project_ids:
        found.update(deletion_store.session_pks(conn, account_id, project_id=project_id, before=before))
    return found
