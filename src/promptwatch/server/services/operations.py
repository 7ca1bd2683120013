"""Readiness of the instance: database reachable and schema current, answered within a few seconds."""

from __future__ import annotations

from ..store.engine import probing
from ..store.schema_version import SchemaFromNewerRelease, current_revision, head_revision, refuse_newer_schema
from .runtime import Runtime

READY_TIMEOUT_SECONDS = 2  # for a new connection, and again for each statement (psycopg's shortest timeout)


def readiness(runtime: Runtime) -> tuple[bool, dict]:
    """(ready, the answer's body). A database that does not answer in time is not ready: the check never waits
    on a connection of the pool, which a stalled network can leave waiting for ever (`probing`)."""
    try:
        with probing(runtime.engine, READY_TIMEOUT_SECONDS) as engine:
            current = current_revision(engine)
    except Exception as exc:  # any database failure means not ready
        return False, {"status": "unavailable", "detail": str(exc)[:200]}
    head = head_revision()
    try:
        refuse_newer_schema(current)
    except SchemaFromNewerRelease as exc:
        return False, {"status": "schema of a newer release", "detail": str(exc), "current": current, "head": head}
    if current != head:
        return False, {"status": "schema out of date", "current": current, "head": head}
    return True, {"status": "ready", "schema": current}
