"""The list of activities across sessions, newest first (`GET /api/v1/activities`): every LLM call of a model
or a template, every failed call, every call people marked down, every activity given a tag, whichever session
it is in."""

from __future__ import annotations

from ..store.activity_queries import ActivityFilter, list_activities
from .credentials import Caller
from .page_cursors import encode_cursor
from .runtime import Runtime
from .session_detail import activity_item
from .sessions import check_page, decode_sort_cursor, project_filter

_ORDER = "activities"  # the only order; a cursor says which list and order it continues


class ActivityListService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def list(self, caller: Caller, filters: dict, project: str | None, limit: int, cursor: str | None) -> dict:
        """A page of `{"items", "next_cursor"}`; each item as a session's detail lists the activity, without
        its body, and with its session's `session_id`, `tracking_project` and `tracking_tenant`. `filters` are
        the fields of `ActivityFilter` but the project, which is resolved here."""
        caller.require("read")
        check_page(limit)
        after = decode_sort_cursor(cursor, _ORDER) if cursor else None
        where = ActivityFilter(**filters)
        with self._rt.engine.connect() as conn:
            reachable, where.project_id = project_filter(conn, caller, project)
            if not reachable:
                return {"items": [], "next_cursor": None}
            rows = list_activities(conn, caller.account_id, where, limit + 1, after)
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(_ORDER, rows[-1]["start_time"], rows[-1]["pk"]) if more else None
        return {"items": [activity_item(dict(row)) for row in rows], "next_cursor": next_cursor}
