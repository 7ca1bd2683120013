"""Reading and deleting sessions: the filtered, paged list and one session with its activity tree."""

from __future__ import annotations

import base64
from datetime import datetime

import orjson

from ..errors import InvalidInput, NotFound
from ..store import accounts as account_store
from ..store import session_queries
from ..store.session_queries import SessionFilter
from .clock import utc_now
from .credentials import Caller
from .runtime import Runtime

MAX_PAGE = 500


def encode_cursor(start: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([start.isoformat(), pk])).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        start, pk = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(start), int(pk)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise InvalidInput("cursor is not one this server handed out", field="cursor") from None


def session_item(row) -> dict:
    item = dict(row)
    item.pop("pk")
    return item


class SessionService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def list(self, caller: Caller, filters: dict, project: str | None, limit: int, cursor: str | None) -> dict:
        """`filters` are the fields of `SessionFilter` but the project, which is resolved here."""
        caller.require("read")
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
        after = decode_cursor(cursor) if cursor else None
        where = SessionFilter(**filters)
        project = caller.project or project
        with self._rt.engine.connect() as conn:
            if project is not None:
                where.project_id = account_store.project_id(conn, caller.account_id, project)
                if where.project_id is None:
                    return {"items": [], "next_cursor": None}
            rows = session_queries.list_sessions(conn, caller.account_id, where, limit + 1, after)
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["start_time"], rows[-1]["pk"]) if more else None
        return {"items": [session_item(r) for r in rows], "next_cursor": next_cursor}

    def get(self, caller: Caller, session_id: str, with_activities: bool = True) -> dict:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            row = session_queries.get_session(conn, caller.account_id, session_id)
            if row is None or (caller.project and row["tracking_project"] != caller.project):
                raise NotFound(f"no session {session_id!r}")
            item = session_item(row)
            if with_activities:
                item["activities"] = [_activity_item(a) for a in session_queries.session_activities(conn, row["pk"])]
        return item

    def delete(self, caller: Caller, session_id: str) -> None:
        caller.require("ingest")
        self.get(caller, session_id, with_activities=False)
        with self._rt.engine.begin() as conn:
            session_queries.delete_session(conn, caller.account_id, session_id, utc_now())


_INTERNAL = ("pk", "account_id", "session_pk", "updated_at")


def _activity_item(activity: dict) -> dict:
    for name in _INTERNAL:
        activity.pop(name, None)
    activity["order"] = activity.pop("position")
    activity["usage"] = {
        "prompt_tokens": activity.pop("prompt_tokens"),
        "completion_tokens": activity.pop("completion_tokens"),
        "total_tokens": activity.pop("total_tokens"),
        "counted": activity.pop("tokens_counted"),
    }
    return activity
