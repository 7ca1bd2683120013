"""OTLP/HTTP trace ingestion: decode an ExportTraceServiceRequest, map each span, store through the writer.

Identity rules (docs/otlp.md): an activity id is `<trace id>:<span id>` in hex (span ids are only unique
within their trace) and its parent is the parent span's id in the same form (a span that names itself as its
parent is a root, and one that ends before it starts ends at its start); the session is the span's
`session.id` (OpenInference) or `gen_ai.conversation.id` (GenAI) attribute, else the trace id. The
project is the resource's `promptwatch.project`, `openinference.project.name` or `service.name`; the
tenant `promptwatch.tenant`, `tenant.id` or `user.id`. What a span's conventions say is `otlp_mapping`'s.

Spans go through `ActivityIn`, `build_activity_record` and the ingest pipeline (its stages, then the
writer) like the native API's items, so tokens, cost, re-sends (an upsert by id), deletions and any
redaction stage behave alike. A span that cannot be mapped, and one the writer refuses (its session is
another project's or was deleted, or its id is another session's activity), is counted in the reply's
`partial_success`; the others are stored.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, Status
from pydantic import ValidationError

from promptwatch.schema.common import check_tracking_label, fit_metadata
from promptwatch.schema.records import ActivityIn

from ..errors import DomainError, Forbidden
from ..store.ingest_writer import DELETED, OTHER_PROJECT, OTHER_SESSION
from .activity_records import build_activity_record
from .credentials import Caller
from .ingest import check_project, field_errors, session_record
from .json_bodies import loads, malformed_json, storable_text
from .otlp_json import NotOtlpJson, check_message
from .otlp_mapping import (
    MAX_ATTRIBUTES,
    OtlpEvent,
    OtlpSpan,
    SpanAttributes,
    activity_type_of,
    bounded,
    convention_fields,
)
from .runtime import Runtime

PROTOBUF, JSON = "application/x-protobuf", "application/json"
MAX_EVENTS = 64
_MAX_MESSAGES = 5  # rejected spans described in the reply's error message
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_SPAN_ID = re.compile(r"[0-9a-f]{16}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")
_DECODE_ERRORS = (DecodeError, json_format.ParseError, ValueError, TypeError, RecursionError)


# why the writer refused a span, by its status
_REFUSALS = {
    OTHER_PROJECT: "its session belongs to another project; this key is limited to {project!r}",
    OTHER_SESSION: "its id is another session's activity (a span sent before with another session.id)",
    DELETED: "it, or its session, was deleted",
}


class SpanRejected(ValueError):
    """The span cannot become an activity; counted in the reply's `partial_success`."""


@dataclass(frozen=True)
class MappedSpan:
    activity: dict[str, Any]  # ActivityIn fields
    project: str | None
    project_is_explicit: bool  # named by promptwatch.project / openinference.project.name, not service.name
    tenant: str | None

    @property
    def session_id(self) -> str:
        return self.activity["session_id"]

    @property
    def is_root(self) -> bool:
        return self.activity["parent_activity_id"] is None


@dataclass(frozen=True)
class ExportResult:
    rejected: int
    message: str


def activity_id(trace_id: str, span_id: str) -> str:
    return f"{trace_id}:{span_id}"


def ns_to_datetime(nanoseconds: int) -> datetime:
    return _EPOCH + timedelta(microseconds=nanoseconds // 1000)


def session_id_of(span: OtlpSpan) -> str:
    for key in ("session.id", "gen_ai.conversation.id"):
        value = span.attributes.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()[:200]
    return span.trace_id


def _label(value: Any) -> str | None:
    """A tracking label (project, tenant) when the value is a valid one; anything else is ignored."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        return check_tracking_label(str(value))
    except ValueError:
        return None


def project_of(span: OtlpSpan) -> tuple[str | None, bool]:
    """The project label and whether it was named on purpose (the SDK's `unknown_service` default is not)."""
    for key in ("promptwatch.project", "openinference.project.name"):
        if (label := _label(span.resource.get(key))) is not None:
            return label, True
    service = _label(span.resource.get("service.name"))
    return (None if service is None or service.startswith("unknown_service") else service), False


def tenant_of(span: OtlpSpan) -> str | None:
    for source in (span.attributes, span.resource):
        for key in ("promptwatch.tenant", "tenant.id", "user.id"):
            if (label := _label(source.get(key))) is not None:
                return label
    return None


def map_span(span: OtlpSpan) -> MappedSpan:
    """The activity a span becomes, or `SpanRejected` when its ids or start time are unusable."""
    if not _TRACE_ID.fullmatch(span.trace_id) or not span.trace_id.strip("0"):
        raise SpanRejected(f"span {span.span_id or '?'}: the trace id must be 16 bytes, not all zero")
    if not _SPAN_ID.fullmatch(span.span_id) or not span.span_id.strip("0"):
        raise SpanRejected(f"a span of trace {span.trace_id}: the span id must be 8 bytes, not all zero")
    if span.parent_span_id and not _SPAN_ID.fullmatch(span.parent_span_id):
        raise SpanRejected(f"span {span.span_id}: the parent span id must be 8 bytes")
    if span.start_ns <= 0:
        raise SpanRejected(f"span {span.span_id}: it has no start time")
    attrs = SpanAttributes(span.attributes)
    activity_type = activity_type_of(span.attributes)
    start = ns_to_datetime(span.start_ns)
    parent = span.parent_span_id if span.parent_span_id.strip("0") and span.parent_span_id != span.span_id else ""
    user_metadata = attrs.json("metadata")  # OpenInference's `using_metadata`
    attrs.consume("session.id", "gen_ai.conversation.id", "user.id", "tenant.id", "promptwatch.tenant")
    activity: dict[str, Any] = {
        "id": activity_id(span.trace_id, span.span_id),
        "session_id": session_id_of(span),
        "activity_type": activity_type,
        "parent_activity_id": activity_id(span.trace_id, parent) if parent else None,
        "name": span.name[:500] or None,
        "start_time": start,
        "end_time": max(ns_to_datetime(span.end_ns), start) if span.end_ns else None,
        "error": _error_of(span),
        "tags": _tags(attrs.get("tag.tags")),
        **convention_fields(activity_type, attrs, span.events),
    }
    activity["attributes"] = attrs.rest()
    metadata = dict(user_metadata) if isinstance(user_metadata, dict) else {}
    mapped = activity.pop("metadata", None) or {}  # what the conventions say beside the fields (`response_model`)
    activity["metadata"] = {**metadata, **mapped, "otel": _otel_metadata(span, activity_type)}
    project, explicit = project_of(span)
    return MappedSpan(activity, project, explicit, tenant_of(span))


def _error_of(span: OtlpSpan) -> str | None:
    """A span with status ERROR: its status message, else its exception event's type and message."""
    if span.status_code != "ERROR":
        return None
    if span.status_message:
        return span.status_message
    for event in span.events:
        if event.name == "exception":
            parts = (event.attributes.get("exception.type"), event.attributes.get("exception.message"))
            if text := ": ".join(str(p) for p in parts if p):
                return text
    return "error"


def _tags(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [str(t)[:200] for t in value if isinstance(t, str | int) and str(t)][:100] or None


def _otel_metadata(span: OtlpSpan, activity_type: str) -> dict[str, Any]:
    """Span kind, scope and events; an LLM span's `gen_ai.*` message events are in its prompt already."""
    events = [
        _event(e) for e in span.events[:MAX_EVENTS] if activity_type != "llm-prompt" or not e.name.startswith("gen_ai.")
    ]
    otel = {"trace_id": span.trace_id, "span_id": span.span_id, "kind": span.kind, "scope": span.scope or None}
    return {k: v for k, v in {**otel, "events": events or None}.items() if v is not None}


def _event(event: OtlpEvent) -> dict[str, Any]:
    item: dict[str, Any] = {"name": event.name}
    if event.time_ns:
        item["time"] = ns_to_datetime(event.time_ns).isoformat()
    if event.attributes:
        item["attributes"] = {k: bounded(v) for k, v in list(event.attributes.items())[:MAX_ATTRIBUTES]}
    return item


def decode_request(raw: bytes, media: str) -> list[OtlpSpan]:
    """The spans of an ExportTraceServiceRequest in protobuf or in OTLP/JSON; 400 when it is neither, saying
    what is wrong in OTLP's terms (an OTLP/JSON body's field at fault, `otlp_json`), never a decoder's words."""
    request = ExportTraceServiceRequest()
    encoding = "OTLP/JSON" if media == JSON else "protobuf"
    try:
        if media == JSON:
            _parse_json(raw, request)
        else:
            request.ParseFromString(raw)
    except NotOtlpJson as exc:
        raise DomainError(f"the body is not an ExportTraceServiceRequest in OTLP/JSON: {exc}") from None
    except _DECODE_ERRORS:
        raise DomainError(
            f"the body is not an ExportTraceServiceRequest in {encoding}: it does not decode as one"
        ) from None
    return [span for resource_spans in request.resource_spans for span in _spans(resource_spans)]


def _parse_json(raw: bytes, request: ExportTraceServiceRequest) -> None:
    try:
        payload = _hex_ids_as_base64(loads(raw))
    except (ValueError, RecursionError) as exc:
        raise DomainError(malformed_json(exc).detail) from None  # the words every endpoint answers it with
    check_message(payload, request.DESCRIPTOR)
    json_format.ParseDict(payload, request, ignore_unknown_fields=True)


def encode_response(result: ExportResult, media: str) -> bytes:
    response = ExportTraceServiceResponse()
    if result.rejected:
        response.partial_success.rejected_spans = result.rejected
        response.partial_success.error_message = result.message
    if media == JSON:
        return orjson.dumps(json_format.MessageToDict(response))
    return response.SerializeToString()


def _spans(resource_spans: ResourceSpans) -> Iterator[OtlpSpan]:
    resource = _attributes(resource_spans.resource.attributes)
    for scope_spans in resource_spans.scope_spans:
        for span in scope_spans.spans:
            yield OtlpSpan(
                trace_id=span.trace_id.hex(),
                span_id=span.span_id.hex(),
                parent_span_id=span.parent_span_id.hex(),
                name=span.name,
                start_ns=span.start_time_unix_nano,
                end_ns=span.end_time_unix_nano,
                kind=_enum_name(Span.SpanKind, span.kind, "SPAN_KIND_"),
                attributes=_attributes(span.attributes),
                events=tuple(OtlpEvent(e.name, e.time_unix_nano, _attributes(e.attributes)) for e in span.events),
                status_code=_enum_name(Status.StatusCode, span.status.code, "STATUS_CODE_"),
                status_message=span.status.message,
                resource=resource,
                scope=scope_spans.scope.name,
            )


def _enum_name(enum, value: int, prefix: str) -> str:
    try:
        return enum.Name(value).removeprefix(prefix)
    except ValueError:  # a value newer than our copy of the proto
        return str(value)


def _attributes(key_values) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in key_values}


def _value(any_value) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(any_value.kvlist_value.values)
    if kind == "bytes_value":
        return base64.b64encode(any_value.bytes_value).decode()
    return getattr(any_value, kind) if kind else None


def _hex_ids_as_base64(payload: Any) -> Any:
    """OTLP/JSON writes trace and span ids in hex where protobuf's JSON mapping expects base64."""
    for resource_spans in _objects(payload, "resourceSpans", "resource_spans"):
        for scope_spans in _objects(resource_spans, "scopeSpans", "scope_spans"):
            for span in _objects(scope_spans, "spans"):
                for item in (span, *_objects(span, "links")):
                    for key in _ID_FIELDS:
                        if isinstance(value := item.get(key), str) and _HEX.fullmatch(value):
                            item[key] = base64.b64encode(bytes.fromhex(value)).decode()
    return payload


def _objects(parent: Any, *keys: str) -> list[dict]:
    if isinstance(parent, dict):
        for key in keys:
            if isinstance(value := parent.get(key), list):
                return [v for v in value if isinstance(v, dict)]
    return []


def _add_to_session(sessions: dict[str, dict], mapped: MappedSpan, span: OtlpSpan) -> None:
    """What the batch says about a session; a root span's resource wins over its descendants' (its attributes
    are the session's metadata, those that fit the native API's limit kept), and a root span's error marks it
    (an error inside, which its parent survived, marks that span alone)."""
    draft = sessions.setdefault(mapped.session_id, {"id": mapped.session_id})
    if mapped.project and (mapped.is_root or "tracking_project" not in draft):
        draft["tracking_project"] = mapped.project
    if mapped.tenant and "tracking_tenant" not in draft:
        draft["tracking_tenant"] = mapped.tenant
    if span.resource and (mapped.is_root or "metadata" not in draft):
        draft["metadata"] = fit_metadata({k: bounded(v) for k, v in list(span.resource.items())[:MAX_ATTRIBUTES]})
    if mapped.is_root and mapped.activity.get("error"):  # the failure left the trace: the session failed
        draft["is_error"] = True
    if mapped.is_root and mapped.session_id == span.trace_id:  # the trace is the session
        draft["session_name"] = span.name[:1000] or None
        draft["end_time"] = mapped.activity["end_time"]


class OtlpIngestService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    async def export(self, caller: Caller, raw: bytes, media: str) -> ExportResult:
        caller.require("send")
        spans = decode_request(raw, media)
        problems: list[str] = []
        sessions: dict[str, dict] = {}
        records = []
        overrides = self._rt.price_overrides(caller.account_id) if spans else ()
        session_of: dict[str, str] = {}  # activity id -> its session, as this request first gave it
        for span in spans:
            try:
                mapped = map_span(span)
                check_project(caller, mapped.project if mapped.project_is_explicit else None)
                activity = ActivityIn.model_validate(storable_text(mapped.activity))  # PostgreSQL refuses NUL
            except SpanRejected as exc:
                problems.append(str(exc))
                continue
            except Forbidden as exc:
                problems.append(f"span {span.span_id}: {exc.detail}")
                continue
            except ValidationError as exc:
                fields = "; ".join(f"{e['field']}: {e['message']}" for e in field_errors(exc))
                problems.append(f"span {span.span_id}: {fields}")
                continue
            if session_of.setdefault(activity.id, activity.session_id) != activity.session_id:
                problems.append(f"span {span.span_id}: {_REFUSALS[OTHER_SESSION]}")
                continue
            records.append(build_activity_record(activity.model_dump(exclude_none=True), self._rt.pricebook, overrides))
            _add_to_session(sessions, mapped, span)
        if records:
            session_records = [session_record(storable_text(s), caller, "otlp") for s in sessions.values()]
            _, status = await self._rt.pipeline.submit(
                caller.account_id, session_records, records, project=caller.project
            )
            for record in records:
                if (refusal := _REFUSALS.get(status.get(record["id"], ""))) is not None:
                    span_id = record["id"].rpartition(":")[2]
                    problems.append(f"span {span_id}: {refusal.format(project=caller.project)}")
        more = f" (and {len(problems) - _MAX_MESSAGES} more)" if len(problems) > _MAX_MESSAGES else ""
        return ExportResult(len(problems), "; ".join(problems[:_MAX_MESSAGES]) + more)
