"""Ingestion from the native API: validate each item on its own, build records, hand them to the batch
writer, and answer per item. The published client's tolerant path is in `legacy_ingest`."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, TypeAdapter, ValidationError

from promptwatch.schema.records import ActivityIn, IngestBatch, SessionIn

from ..errors import Forbidden, InvalidInput
from ..store.ingest_writer import OTHER_PROJECT, OTHER_SESSION
from .activity_records import build_activity_record
from .credentials import Caller
from .json_bodies import parse_json, storable_text
from .pricing import PriceBook, PriceOverride
from .runtime import Runtime


def field_errors(error: ValidationError) -> list[dict]:
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "(item)", "message": e["msg"], "type": e["type"]}
        for e in error.errors(include_url=False, include_input=False)
    ]


def session_record(session: SessionIn | dict, caller: Caller, source: str) -> dict:
    data = session if isinstance(session, dict) else session.model_dump()
    return {
        "id": data["id"],
        "session_name": data.get("session_name"),
        "project": caller.project or data.get("tracking_project"),
        "tracking_tenant": data.get("tracking_tenant"),
        "start_time": data.get("start_time"),
        "end_time": data.get("end_time"),
        "is_error": data.get("is_error"),
        "steps_count": data.get("steps_count"),
        "tags": data.get("tags"),
        "metadata": data.get("metadata"),
        "source": source,
    }


def check_project(caller: Caller, project: str | None) -> None:
    if caller.project and project and project != caller.project:
        raise Forbidden(f"this key is limited to project {caller.project!r}")


class IngestService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    @property
    def pricebook(self) -> PriceBook:
        return self._rt.pricebook

    def overrides(self, account_id: int) -> Sequence[PriceOverride]:
        return self._rt.price_overrides(account_id)

    async def ingest_batch(self, caller: Caller, raw: bytes) -> dict:
        """The answer as `IngestResult` describes it, built as plain data (one model per item would cost more
        than validating the item)."""
        caller.require("send")
        payload = parse_json(raw)
        if not isinstance(payload, dict):  # an empty body or null too: the native API is strict
            message = 'the body must be a JSON object: {"sessions": [...], "activities": [...]}'
            raise InvalidInput(message, errors=[{"field": "body", "message": message, "type": "model_type"}])
        if b"\\u0000" in raw:  # PostgreSQL text cannot hold NUL
            payload = storable_text(payload)
        try:
            batch = IngestBatch.model_validate(payload)
        except ValidationError as exc:
            raise InvalidInput("the batch is malformed", errors=field_errors(exc)) from None
        session_results: list[dict] = []
        activity_results: list[dict] = []
        sessions, activities = [], []
        for item, session, error in _validate_each(_SESSIONS, SessionIn, batch.sessions):
            if session is not None:
                try:
                    check_project(caller, session.tracking_project)
                except Forbidden as exc:
                    refusal = {"field": "tracking_project", "message": exc.detail, "type": "other_project"}
                    session_results.append(_invalid(item, [refusal]))
                    continue
                sessions.append(session_record(session, caller, "native"))
                session_results.append({"id": session.id, "status": PENDING, "errors": None})
            else:
                session_results.append(_invalid(item, field_errors(error)))
        overrides = self.overrides(caller.account_id)
        session_of: dict[str, str] = {}  # activity id -> its session, as this batch first gave it
        for item, activity, error in _validate_each(_ACTIVITIES, ActivityIn, batch.activities):
            if activity is not None and session_of.setdefault(activity.id, activity.session_id) != activity.session_id:
                activity_results.append(_invalid(item, [_refusal(OTHER_SESSION, activity.id)]))
            elif activity is not None:
                data = activity.model_dump(exclude_none=True)
                activities.append(build_activity_record(data, self.pricebook, overrides))
                activity_results.append({"id": activity.id, "status": PENDING, "errors": None})
            else:
                activity_results.append(_invalid(item, field_errors(error)))
        if sessions or activities:
            s_status, a_status = await self._rt.pipeline.submit(
                caller.account_id, sessions, activities, project=caller.project
            )
            for kind, results, status in (
                ("session", session_results, s_status),
                ("activity", activity_results, a_status),
            ):
                for result in results:
                    if result["status"] == PENDING:
                        result["status"] = status.get(result["id"], "stored")
                    if result["status"] in _REFUSALS:
                        refusal = _refusal(result["status"], result["id"], caller, kind)
                        result.update(status="invalid", errors=[refusal])
        every = session_results + activity_results
        return {
            "sessions": session_results,
            "activities": activity_results,
            "stored": sum(r["status"] == "stored" for r in every),
            "rejected": sum(r["status"] == "invalid" for r in every),
        }


PENDING = "pending"  # until the writer answers
_SESSIONS, _ACTIVITIES = TypeAdapter(list[SessionIn]), TypeAdapter(list[ActivityIn])


def _validate_each(adapter: TypeAdapter, model: type[BaseModel], items: list) -> list[tuple]:
    """(item, validated model or None, ValidationError or None) for each item. The whole list is validated
    at once first, which costs a third less than item by item when all are valid, as they nearly always are."""
    try:
        return [(item, valid, None) for item, valid in zip(items, adapter.validate_python(items))]
    except ValidationError:
        pass
    out = []
    for item in items:
        try:
            out.append((item, model.model_validate(item), None))
        except ValidationError as exc:
            out.append((item, None, exc))
    return out


_REFUSALS = (OTHER_PROJECT, OTHER_SESSION)


def _refusal(status: str, item_id: str, caller: Caller | None = None, kind: str = "activity") -> dict:
    """The error of a session or activity the writer refused (`ingest_writer.OTHER_PROJECT`, `OTHER_SESSION`)."""
    if status == OTHER_PROJECT:
        whose = "belongs to" if kind == "session" else "is for a session of"
        message = f"{kind} {item_id!r} {whose} another project; this key is limited to {caller.project!r}"
        return {"field": "id", "message": message, "type": "other_project"}
    message = f"activity id {item_id!r} is another session's activity: ids are unique within an account"
    return {"field": "id", "message": message, "type": "other_session"}


def _invalid(item, errors: list[dict]) -> dict:
    return {"id": _id_of(item), "status": "invalid", "errors": errors}


def _id_of(item) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return item["id"][:200]
    return None
