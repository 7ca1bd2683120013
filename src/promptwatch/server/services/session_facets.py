"""Suggestions for the session list's filters (`GET /api/v1/session-facets`): the projects, tenants, models
and templates of the caller's account, or of the one project a limited key or membership acts in; at most
`FACET_LIMIT` of each, the most used first, and the names of the lists that had more."""

from __future__ import annotations

from ..store import accounts as account_store
from ..store import session_facets
from .credentials import Caller
from .runtime import Runtime

FACET_LIMIT = 200
FACETS = ("projects", *session_facets.LABELS)


class SessionFacetService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def facets(self, caller: Caller) -> dict:
        caller.require("read")
        wanted = FACET_LIMIT + 1  # one more than is answered tells whether a list was cut
        values = {name: [] for name in FACETS}
        with self._rt.engine.connect() as conn:
            if caller.project is None:
                project_id, values["projects"] = None, session_facets.project_names(conn, caller.account_id, wanted)
            else:
                project_id = account_store.project_id(conn, caller.account_id, caller.project)
                values["projects"] = [] if project_id is None else [caller.project]
            if caller.project is None or project_id is not None:  # a limited caller's project may not exist yet
                for label in session_facets.LABELS:
                    values[label] = session_facets.label_values(conn, caller.account_id, label, project_id, wanted)
        return {
            **{name: items[:FACET_LIMIT] for name, items in values.items()},
            "limit": FACET_LIMIT,
            "truncated": [name for name, items in values.items() if len(items) > FACET_LIMIT],
        }
