"""Annotations: thumbs up (1) / down (0), a rating and notes on an activity or a whole session. They are
the examples unit tests use (GET /test-cases) and the annotation score of a template version."""

from __future__ import annotations

from promptwatch.schema.prompt_loop import AnnotationIn

from ..errors import NotFound
from ..store import accounts as account_store
from ..store import annotations as store
from .clock import utc_now
from .credentials import Caller
from .runtime import Runtime


class AnnotationService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def _target(self, conn, caller: Caller, kind: str, object_id: str) -> int:
        row = (store.activity_pk if kind == "activity" else store.session_pk)(conn, caller.account_id, object_id)
        if row is None or (caller.project and not self._in_project(conn, caller, row["project_id"])):
            raise NotFound(f"no {kind} {object_id!r}")
        return row["pk"]

    @staticmethod
    def _in_project(conn, caller: Caller, project_id) -> bool:
        return project_id is not None and project_id == account_store.project_id(
            conn, caller.account_id, caller.project
        )

    def annotate(self, caller: Caller, kind: str, object_id: str, body: AnnotationIn) -> dict:
        """Change the fields sent; the others keep what is stored (a thumbs click keeps the rating and notes)."""
        caller.require("send")
        values = body.model_dump(exclude_unset=True)
        with self._rt.engine.begin() as conn:
            pk = self._target(conn, caller, kind, object_id)
            store.upsert(conn, caller.account_id, kind, pk, values, caller.user_id, utc_now())
            saved = store.get(conn, kind, pk)
        return {kind + "_id": object_id, **dict(saved)}

    def get(self, caller: Caller, kind: str, object_id: str) -> dict:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            pk = self._target(conn, caller, kind, object_id)
            saved = store.get(conn, kind, pk)
        if saved is None:
            return {kind + "_id": object_id, "label": None, "rating": None, "notes": None, "updated_at": None}
        return {kind + "_id": object_id, **dict(saved)}
