"""Reading and deleting sessions: the filtered, paged list and one session with its activity tree."""

from __future__ import annotations

from functools import partial

from sqlalchemy import Connection

from ..errors import InvalidInput, NotFound
from ..store import accounts as account_store
from ..store import session_queries
from ..store.engine import snapshot
from ..store.session_queries import SessionFilter
from .credentials import Caller
from .money import money
from .page_cursors import decode_cursor, encode_cursor, int64, number, utc_time
from .runtime import Runtime
from .session_detail import ALL, ActivityWindow, read_activities

MAX_PAGE = 500
# the list's `total` counts at most this many sessions (and says `total_capped` beyond): a count reads what it
# counts, and a cap keeps it to what a page of that many would cost, however large the account
TOTAL_CAP = 10_000
# what a cursor of each order holds besides the pk: the session list's, and the activity list's only order
CURSOR_VALUES = {"newest": utc_time, "oldest": utc_time, "cost": number, "tokens": int64, "activities": utc_time}


def check_page(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")


def project_filter(conn: Connection, caller: Caller, project: str | None) -> tuple[bool, int | None]:
    """(whether the list can hold anything, the id of the project it is limited to): a key or membership limited
    to a project lists that project's only, and a project the account never used holds nothing."""
    if caller.project and project not in (None, caller.project):  # a filter outside the key's project
        return False, None
    project = caller.project or project
    if project is None:
        return True, None
    project_id = account_store.project_id(conn, caller.account_id, project)
    return project_id is not None, project_id


def decode_sort_cursor(cursor: str, sort: str) -> tuple:
    """(sort value, pk) of a cursor of the list in the order `sort` (of `CURSOR_VALUES`)."""
    return decode_cursor(cursor, sort, (CURSOR_VALUES[sort], int64), of="this sort")


def session_item(row, tallies: dict[int, session_queries.ActivityTally]) -> dict:
    """The API's session: its stored row, its cost summed from its calls' as `money`, and what its activities
    tell (`session_queries.activity_tallies`): `unpriced_calls` and `cost_known`, so that a cost of 0 from calls
    that have no cost does not read as free, and `failed_activities`, whatever the session's own outcome."""
    item = dict(row)
    tally = tallies.get(item.pop("pk"), session_queries.NO_ACTIVITIES)
    item["cost"] = money(item["cost"])
    item["cost_known"] = tally.priced_activities > 0
    item["unpriced_calls"] = tally.unpriced_calls
    item["failed_activities"] = tally.failed_activities
    return item


class SessionService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def list(
        self,
        caller: Caller,
        filters: dict,
        project: str | None,
        limit: int,
        cursor: str | None,
        sort: str = "newest",
        include_total: bool = False,
    ) -> dict:
        """`filters` are the fields of `SessionFilter` but the project, which is resolved here. With
        `include_total`, the page also holds `total`, the sessions that pass the filters (whatever the cursor),
        counted up to TOTAL_CAP, and `total_capped`, whether there are more; page and count read one moment."""
        caller.require("read")
        check_page(limit)
        if sort not in session_queries.SORTS:
            raise InvalidInput(f"sort must be one of {', '.join(session_queries.SORTS)}", field="sort")
        after = decode_sort_cursor(cursor, sort) if cursor else None
        where = SessionFilter(**filters)
        if where.q and self._rt.crypto.encrypts(caller.account_id):
            raise InvalidInput(
                "text search is off for an account whose payloads are encrypted: its index would hold the words "
                "in clear",
                field="q",
            )
        counted = {"total": 0, "total_capped": False} if include_total else {}
        with snapshot(self._rt.engine) as conn:
            reachable, where.project_id = project_filter(conn, caller, project)
            if not reachable:
                return {"items": [], "next_cursor": None, **counted}
            rows = session_queries.list_sessions(conn, caller.account_id, where, limit + 1, sort, after)
            more = len(rows) > limit
            rows = rows[:limit]
            tallies = session_queries.activity_tallies(conn, [r["pk"] for r in rows])
            if include_total:
                total = session_queries.count_sessions(conn, caller.account_id, where, TOTAL_CAP + 1)
                counted = {"total": min(total, TOTAL_CAP), "total_capped": total > TOTAL_CAP}
        sort_key = {"newest": "start_time", "oldest": "start_time", "cost": "cost", "tokens": "total_tokens"}[sort]
        next_cursor = encode_cursor(sort, rows[-1][sort_key], rows[-1]["pk"]) if more else None
        return {"items": [session_item(r, tallies) for r in rows], "next_cursor": next_cursor, **counted}

    def get(self, caller: Caller, session_id: str, with_activities: bool = True, window: ActivityWindow = ALL) -> dict:
        """The session with the activities of `window` (all by default) and `next_activities_cursor`."""
        caller.require("read")
        after = window.check(session_id)  # a bad page is refused before anything is read
        with snapshot(self._rt.engine) as conn:  # the session's totals agree with the activities listed
            row = session_queries.get_session(conn, caller.account_id, session_id)
            if row is None or (caller.project and row["tracking_project"] != caller.project):
                raise NotFound(f"no session {session_id!r}")
            item = session_item(row, session_queries.activity_tallies(conn, [row["pk"]]))
            if with_activities:
                opener = partial(self._rt.crypto.open_body, caller.account_id)
                item.update(read_activities(conn, row, opener, window, after))
        return item
