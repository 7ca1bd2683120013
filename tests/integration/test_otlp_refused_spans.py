"""OTLP spans the writer refuses — another project's session, a deleted one, another session's span id — are
counted in the reply's `partial_success`, in protobuf and in OTLP/JSON, as the native API reports them per item."""

from __future__ import annotations

import base64

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.integration.test_otlp import json_span, otlp_json
from tests.support.payloads import uid

PROTOBUF, JSON = "application/x-protobuf", "application/json"


def export(client, spans: list[dict], resource: dict | None = None, media: str = JSON) -> tuple[int, str]:
    """Send the spans (OTLP/JSON objects) in `media`; returns the reply's (rejected spans, error message)."""
    body = otlp_json(spans, resource)
    if media == PROTOBUF:  # protobuf's JSON mapping reads ids in base64 where OTLP/JSON writes them in hex
        base64_ids = [
            {**span, **{k: base64.b64encode(bytes.fromhex(span[k])).decode() for k in ("traceId", "spanId")}}
            for span in spans
        ]
        body = json_format.Parse(otlp_json(base64_ids, resource), ExportTraceServiceRequest()).SerializeToString()
    response = client.post("/v1/traces", content=body, headers={"content-type": media})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media
    if media == JSON:
        partial = response.json().get("partialSuccess", {})
        return int(partial.get("rejectedSpans", 0)), partial.get("errorMessage", "")
    reply = ExportTraceServiceResponse.FromString(response.content).partial_success
    return reply.rejected_spans, reply.error_message


@pytest.mark.parametrize("media", [PROTOBUF, JSON])
def test_spans_of_another_projects_trace_are_rejected_spans(live_server, media):
    tenant = live_server.new_tenant("otlp-refused")
    limited = live_server.accounts()._rt.keys.create(tenant.account_id, "write", project="alpha")
    trace_id, first, second = uid() + uid(), uid(), uid()
    victim = {"service.name": "victim"}
    with live_server.client(tenant.api_key) as full:
        assert export(full, [json_span(trace_id, first, endTimeUnixNano="0")], victim, media) == (0, "")
    with live_server.client(limited) as client:
        spans = [json_span(trace_id, first), json_span(trace_id, second)]  # closes the first, adds one
        rejected, message = export(client, spans, victim, media)
        assert rejected == 2
        assert f"span {first}" in message and "another project" in message and "'alpha'" in message
    with live_server.client(tenant.api_key) as full:
        session = full.get(f"/api/v1/sessions/{trace_id}").json()
        assert session["tracking_project"] == "victim" and session["activity_count"] == 1
        assert [(a["id"], a["end_time"]) for a in session["activities"]] == [(f"{trace_id}:{first}", None)]


def test_spans_of_a_deleted_trace_are_rejected_spans(client):
    trace_id, span_id = uid() + uid(), uid()
    assert export(client, [json_span(trace_id, span_id)]) == (0, "")
    assert client.delete(f"/api/v1/sessions/{trace_id}").status_code in (200, 204)
    rejected, message = export(client, [json_span(trace_id, span_id), json_span(trace_id, uid())])
    assert rejected == 2 and "deleted" in message
    assert client.get(f"/api/v1/sessions/{trace_id}").status_code == 404


def test_a_span_sent_again_under_another_session_id_is_a_rejected_span(client):
    trace_id, span_id, first, other = uid() + uid(), uid(), uid("conv-"), uid("conv-")
    assert export(client, [json_span(trace_id, span_id, attributes={"session.id": first})]) == (0, "")
    moved = json_span(trace_id, span_id, attributes={"session.id": other})
    rejected, message = export(client, [moved])
    assert rejected == 1 and f"span {span_id}" in message and "another session" in message
    span_id = uid()
    twice = [json_span(trace_id, span_id, attributes={"session.id": s}) for s in (first, other)]
    rejected, message = export(client, twice)  # within one request: the first wins
    assert rejected == 1 and f"span {span_id}" in message
    stored = client.get(f"/api/v1/sessions/{first}").json()
    assert stored["activity_count"] == 2  # both spans are in the first session
    assert client.get(f"/api/v1/sessions/{other}").json()["activities"] == []
