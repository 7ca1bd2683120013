"""Readiness of the instance: database reachable and schema current."""

from __future__ import annotations

from ..store.schema_version import current_revision, head_revision
from .runtime import Runtime


def readiness(runtime: Runtime) -> tuple[bool, dict]:
    try:
        current = current_revision(runtime.engine)
    except Exception as exc:  # any database failure means not ready
        return False, {"status": "unavailable", "detail": str(exc)[:200]}
    head = head_revision()
    if current != head:
        return False, {"status": "schema out of date", "current": current, "head": head}
    return True, {"status": "ready", "schema": current}
