"""Ingestion from the native API: validate each item on its own, build records, hand them to the batch
writer, and answer per item. The published client's tolerant path is in `legacy_ingest`."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from promptwatch.schema.records import ActivityIn, IngestBatch, IngestResult, ItemResult, SessionIn

from ..errors import Forbidden, InvalidInput
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

    async def ingest_batch(self, caller: Caller, raw: bytes) -> IngestResult:
        caller.require("ingest")
        payload = parse_json(raw)
        if b"\\u0000" in raw:  # PostgreSQL text cannot hold NUL
            payload = storable_text(payload)
        try:
            batch = IngestBatch.model_validate(payload if payload is not None else {})
        except ValidationError as exc:
            raise InvalidInput("the batch is malformed", errors=field_errors(exc)) from None
        session_results: list[ItemResult] = []
        activity_results: list[ItemResult] = []
        sessions, activities = [], []
        for item in batch.sessions:
            try:
                session = SessionIn.model_validate(item)
                check_project(caller, session.tracking_project)
            except ValidationError as exc:
                session_results.append(ItemResult(id=_id_of(item), status="invalid", errors=field_errors(exc)))
                continue
            except Forbidden as exc:
                session_results.append(ItemResult(id=_id_of(item), status="invalid", errors=[{"message": exc.detail}]))
                continue
            sessions.append(session_record(session, caller, "native"))
            session_results.append(ItemResult(id=session.id, status="pending"))
        overrides = self.overrides(caller.account_id)
        for item in batch.activities:
            try:
                activity = ActivityIn.model_validate(item)
            except ValidationError as exc:
                activity_results.append(ItemResult(id=_id_of(item), status="invalid", errors=field_errors(exc)))
                continue
            record = build_activity_record(activity.model_dump(exclude_none=True), self.pricebook, overrides)
            activities.append(record)
            activity_results.append(ItemResult(id=activity.id, status="pending"))
        if sessions or activities:
            s_status, a_status = await self._rt.pipeline.submit(caller.account_id, sessions, activities)
            for result in session_results:
                if result.status == "pending":
                    result.status = s_status.get(result.id, "stored")
            for result in activity_results:
                if result.status == "pending":
                    result.status = a_status.get(result.id, "stored")
        rejected = sum(r.status == "invalid" for r in session_results + activity_results)
        stored = sum(r.status == "stored" for r in session_results + activity_results)
        return IngestResult(sessions=session_results, activities=activity_results, stored=stored, rejected=rejected)


def _id_of(item) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return item["id"][:200]
    return None
