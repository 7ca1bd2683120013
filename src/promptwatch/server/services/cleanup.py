"""The cleanup cycle: retention policies, expired sandbox accounts, then the physical purge of what the
database engine keeps after a deletion (full-text segments, WAL, dead tuples), and deletion receipts
marked purged. Run by the cleanup worker every `cleanup_interval_seconds` and by `promptwatch cleanup`."""

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
from .runtime import Runtime

Progress = Callable[[str, int], None]


@dataclass
class CycleReport:
    started_at: datetime
    finished_at: datetime | None = None
    retention: dict[str, int] = field(default_factory=dict)
    expired_accounts: int = 0
    receipts_purged: int = 0
    backups_expired: list[str] = field(default_factory=list)
    access_log_purged: int = 0
    steps: list[str] = field(default_factory=list)


def run_cleanup_cycle(runtime: Runtime, now: datetime | None = None, progress: Progress | None = None) -> CycleReport:
    """One cycle; `now` is injectable so tests never wait for real time to pass."""
    now = now or utc_now()
    report = CycleReport(started_at=now)
    note = progress or (lambda _step, _count: None)
    engine = runtime.engine
    with engine.begin() as conn:
        for policy in lifecycle_store.policies(conn):
            _apply_policy(conn, policy, now, report, note)
        for account_id in maintenance.expired_sandbox_accounts(conn, now):
            deletion_store.delete_account_data(conn, account_id, now)
            report.expired_accounts += 1
        note("retention", sum(report.retention.values()))
    maintenance.purge_engine_leftovers(engine, note)
    report.steps.append("engine purge")
    report.backups_expired = expire_backups(runtime, now)
    report.access_log_purged = purge_expired_access_log(runtime)
    note("backups expired", len(report.backups_expired))
    with engine.begin() as conn:
        report.receipts_purged = lifecycle_store.mark_purged(conn, up_to=now, now=utc_now())
    report.finished_at = utc_now()
    return report


def _apply_policy(conn, policy, now: datetime, report: CycleReport, note: Progress) -> None:
    account_id, project_id = policy["account_id"], policy["project_id"] or None
    if policy["content_days"]:
        before = now - timedelta(days=policy["content_days"])
        pks = deletion_store.session_pks(conn, account_id, project_id=project_id, before=before)
        if project_id is None:
            pks = [pk for pk in pks if pk not in _pks_with_own_policy(conn, account_id, before)]
        counts = deletion_store.delete_sessions(conn, account_id, pks, now, keep_aggregates=True)
        report.retention["activities"] = report.retention.get("activities", 0) + counts["activities"]
        report.retention["sessions"] = report.retention.get("sessions", 0) + counts["sessions"]
        note("retention: sessions", counts["sessions"])
    if policy["aggregate_days"]:
        before = now - timedelta(days=policy["aggregate_days"])
        removed = maintenance.delete_aggregates_before(conn, account_id, project_id, before)
        report.retention["aggregate_rows"] = report.retention.get("aggregate_rows", 0) + removed


def _pks_with_own_policy(conn, account_id: int, before: datetime) -> set[int]:
    """Sessions of projects that have a policy of their own: the account default does not apply to them."""
    own = [p["project_id"] for p in lifecycle_store.policies(conn, account_id) if p["project_id"] and p["content_days"]]
    found: set[int] = set()
    for project_id in own:
        found.update(deletion_store.session_pks(conn, account_id, project_id=project_id, before=before))
    return found
