"""Retention policies: how long an account (or one of its projects) keeps sessions with their payloads,
and, separately, its hourly cost and usage roll-ups. Applied by the cleanup cycle.

A policy set and every purge it makes go into the deletion ledger (ids and times only), so that a restore
of an older backup sets the policy again and purges again what it purged (`RETENTION_WORK`), even when the
policy was loosened since."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..errors import InvalidInput, NotFound
from ..store import accounts as account_store
from ..store import deletion as deletion_store
from ..store import lifecycle as lifecycle_store
from ..store import maintenance
from . import audit
from .clock import utc_now
from .credentials import Caller
from .runtime import Runtime

MAX_DAYS = 36_500  # a hundred years: longer is "keep forever", which is no policy at all


def cutoff(now: datetime, days: int | None) -> datetime | None:
    """What is older than this goes; None keeps everything. A stored value the API would refuse (written
    before the bound, imported, or by hand) is clamped to `MAX_DAYS`, and below one day it is ignored."""
    if days is None or days < 1:
        return None
    return now - timedelta(days=min(days, MAX_DAYS))


class RetentionService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def list(self, caller: Caller) -> list[dict]:
        """The account's default and every project's; a project-limited caller's: the default and its own. A
        policy of a project deleted before its deletion took the policy along applies to nothing: not listed."""
        caller.require("read")
        with self._rt.engine.connect() as conn:
            names = {p["id"]: p["name"] for p in account_store.list_projects(conn, caller.account_id)}
            policies = [
                {
                    "project": names[p["project_id"]] if p["project_id"] else None,
                    "content_days": p["content_days"],
                    "aggregate_days": p["aggregate_days"],
                    "updated_at": p["updated_at"],
                }
                for p in lifecycle_store.policies(conn, caller.account_id)
                if not p["project_id"] or p["project_id"] in names
            ]
        return [p for p in policies if caller.project is None or p["project"] in (None, caller.project)]

    def set(self, caller: Caller, project: str | None, content_days: int | None, aggregate_days: int | None) -> dict:
        """The account's default (`project` None) or one project's; a project-limited admin sets its own project's."""
        caller.require_role("admin", account_wide=project != caller.project)
        if content_days and aggregate_days and aggregate_days < content_days:
            raise InvalidInput("aggregates cannot be kept shorter than the data they summarise", field="aggregate_days")
        with self._rt.engine.begin() as conn:
            project_id = 0
            if project is not None:
                project_id = account_store.project_id(conn, caller.account_id, project)
                if project_id is None:
                    raise NotFound(f"no project {project!r}")
            now = utc_now()
            lifecycle_store.set_policy(conn, caller.account_id, project_id, content_days, aggregate_days, now)
            days = {"content_days": content_days, "aggregate_days": aggregate_days}
            audit.record(conn, caller.account_id, caller, "settings.retention", project, days)
            entry = {"kind": "retention_set", "at": now, "account_id": caller.account_id, "project_id": project_id}
            self._rt.ledger.append({**entry, **days})
        return {"project": project, "content_days": content_days, "aggregate_days": aggregate_days}


def purge_entry(account_id: int, project_id: int | None, before: datetime, kind: str, at: datetime, **more) -> dict:
    """The ledger entry, written at `at` (just before the work), of a purge by a policy: `retention`
    (sessions started before `before`, of the project, or of the account but for the projects of
    `except_projects`), or `retention_aggregates` (roll-up hours)."""
    return {"kind": kind, "at": at, "account_id": account_id, "project_id": project_id, "before": before, **more}


def _sessions_purged(conn, account_id: int, entry, now: datetime) -> dict:
    before = datetime.fromisoformat(entry["before"])
    pks = set(deletion_store.session_pks(conn, account_id, project_id=entry["project_id"], before=before))
    for project_id in entry.get("except_projects") or ():
        pks -= set(deletion_store.session_pks(conn, account_id, project_id=project_id, before=before))
    return deletion_store.delete_sessions(conn, account_id, sorted(pks), now, keep_aggregates=True)


def _aggregates_purged(conn, account_id: int, entry, _now: datetime) -> dict:
    before = datetime.fromisoformat(entry["before"])
    return {"aggregate_rows": maintenance.delete_aggregates_before(conn, account_id, entry["project_id"], before)}


RETENTION_WORK = {"retention": _sessions_purged, "retention_aggregates": _aggregates_purged}
