"""A session's activities as the detail shows them: all of them, or a page at a time after an opaque cursor,
with their bodies or only the light fields (an outline of the tree).

The cursor is the place of the last activity of the page before (`store.session_detail.ActivityKey`) with a
digest of the session's id, as url-safe base64 JSON: a cursor read from another session is refused like
one this server never handed out. Every route that answers a session (its detail, a share link's, a support
grant's) reads its activities here, with the same parameters and the same refusals; one activity read by its
id (`ActivityService`) is shown as a detail lists it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Connection

from ..errors import InvalidInput, NotFound
from ..store import session_detail
from ..store.session_detail import ActivityKey
from . import page_cursors
from .credentials import Caller
from .page_cursors import int64, maybe, utc_time
from .runtime import Runtime

MAX_ACTIVITY_PAGE = 1000
FIELDS = ("full", "outline")
_CURSOR_TAG = "activities"


@dataclass(frozen=True)
class ActivityWindow:
    """Which activities a detail lists: `limit` after `cursor` (None: all of them, or all after the cursor),
    with their bodies unless `fields` is "outline"."""

    limit: int | None = None
    cursor: str | None = None
    fields: str = "full"

    def check(self, session_id: str) -> ActivityKey | None:
        """The key the cursor stands for in the session `session_id`; InvalidInput for a bad limit, cursor or
        fields, or a cursor of another session."""
        if self.limit is not None and not 1 <= self.limit <= MAX_ACTIVITY_PAGE:
            raise InvalidInput(f"activities_limit must be between 1 and {MAX_ACTIVITY_PAGE}", field="activities_limit")
        if self.fields not in FIELDS:
            raise InvalidInput(f"activities_fields must be one of {', '.join(FIELDS)}", field="activities_fields")
        return decode_cursor(self.cursor, session_id) if self.cursor is not None else None


ALL = ActivityWindow()


def _session_mark(session_id: str) -> str:
    """The session in a cursor: a short digest, as an id may be 200 characters long."""
    return hashlib.blake2b(session_id.encode(), digest_size=8).hexdigest()


def encode_cursor(session_id: str, key: ActivityKey) -> str:
    return page_cursors.encode_cursor(_CURSOR_TAG, _session_mark(session_id), key.start_time, key.position, key.pk)


def decode_cursor(cursor: str, session_id: str) -> ActivityKey:
    """The place in a cursor of this session's activities (one of another session's is refused alike)."""
    readers = (page_cursors.equal(_session_mark(session_id)), utc_time, maybe(int64), int64)
    place = page_cursors.decode_cursor(
        cursor, _CURSOR_TAG, readers, field="activities_cursor", of="this session's activities"
    )
    _, start_time, position, pk = place
    return ActivityKey(start_time, position, pk)


def read_activities(
    conn: Connection,
    session: Mapping,
    open_body: Callable[[bytes], bytes],
    window: ActivityWindow,
    after: ActivityKey | None,
) -> dict:
    """`{"activities": [...], "next_activities_cursor": ...}` for the window of the stored `session` (its
    `pk` and `id`), whose cursor stands for `after` (`window.check(session["id"])`); the next cursor is None
    at the end."""
    limit = window.limit + 1 if window.limit is not None else None  # one more tells whether a page follows
    rows = session_detail.session_activities(
        conn, session["pk"], open_body, after=after, limit=limit, bodies=window.fields == "full"
    )
    more = window.limit is not None and len(rows) > window.limit
    rows = rows[: window.limit]
    next_cursor = encode_cursor(session["id"], session_detail.key_of(rows[-1])) if more else None
    return {"activities": [activity_item(a) for a in rows], "next_activities_cursor": next_cursor}


_INTERNAL = ("pk", "account_id", "session_pk", "updated_at")


def activity_item(activity: dict) -> dict:
    """An activity as the API shows it: no internal columns, `order` for the position, token counts as `usage`."""
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


class ActivityService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def get(self, caller: Caller, activity_id: str) -> dict:
        """The activity with every field a session's detail lists for it, and `session_id`. Another account's
        activity, or one of a session outside the caller's project, is not found, as the session would be."""
        caller.require("read")
        with self._rt.engine.connect() as conn:
            opener = partial(self._rt.crypto.open_body, caller.account_id)
            activity = session_detail.activity(conn, caller.account_id, activity_id, opener)
        if activity is None or (caller.project and activity["tracking_project"] != caller.project):
            raise NotFound(f"no activity {activity_id!r}")
        del activity["project_id"], activity["tracking_project"]
        return activity_item(activity)
