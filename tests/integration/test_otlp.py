"""OTLP/HTTP ingestion against the real server: the official OpenTelemetry SDK and exporter, OTLP/JSON,
gzip, partial success, bad input, keys, and re-sent spans."""

from __future__ import annotations

import gzip
import zlib

import orjson
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult
from opentelemetry.trace import Status, StatusCode

from tests.support.payloads import uid

START = 1_793_534_400_000_000_000  # 2026-11-01T12:00:00Z


class RecordingExporter(OTLPSpanExporter):
    """The official OTLP/HTTP protobuf exporter, remembering the result of each export."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.results: list[SpanExportResult] = []

    def export(self, spans) -> SpanExportResult:
        result = super().export(spans)
        self.results.append(result)
        return result


def export_with_sdk(live_server, build, resource: dict, compression: Compression | None = None):
    """Run `build(tracer)` under a TracerProvider that exports to the server; returns what build returned."""
    exporter = RecordingExporter(
        endpoint=f"{live_server.base_url}/v1/traces",
        headers={"x-api-key": live_server.first.api_key},
        timeout=10,
        compression=compression,
    )
    provider = TracerProvider(resource=Resource.create(resource))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    try:
        returned = build(provider.get_tracer("tests.otlp"))
        assert provider.force_flush(10_000)
    finally:
        provider.shutdown()
    assert exporter.results and set(exporter.results) == {SpanExportResult.SUCCESS}
    return returned


def rag_trace(tracer, **common) -> str:
    """chain → retriever + llm + tool, with OpenInference attributes; returns the trace id in hex."""
    chain = {"openinference.span.kind": "CHAIN", "input.value": '{"question": "What is OTLP?"}'}
    with tracer.start_as_current_span(
        "rag", attributes={**chain, "input.mime_type": "application/json", **common}
    ) as root:
        retriever = {
            "openinference.span.kind": "RETRIEVER",
            "input.value": "What is OTLP?",
            "retrieval.documents.0.document.id": "doc-1",
            "retrieval.documents.0.document.content": "OTLP is the OpenTelemetry protocol.",
            "retrieval.documents.0.document.score": 0.92,
            "retrieval.documents.1.document.id": "doc-2",
            "retrieval.documents.1.document.content": "It carries traces, metrics and logs.",
            "retrieval.documents.1.document.score": 0.71,
        }
        with tracer.start_as_current_span("retrieve", attributes={**retriever, **common}):
            pass
        llm = {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini",
            "llm.provider": "openai",
            "llm.invocation_parameters": '{"temperature": 0}',
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.0.message.content": "Answer from the documents.",
            "llm.input_messages.1.message.role": "user",
            "llm.input_messages.1.message.content": "What is OTLP?",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "The OpenTelemetry protocol.",
            "llm.token_count.prompt": 1000,
            "llm.token_count.completion": 200,
            "llm.token_count.total": 1200,
        }
        with tracer.start_as_current_span("ChatOpenAI", attributes={**llm, **common}):
            pass
        tool = {
            "openinference.span.kind": "TOOL",
            "tool.name": "word_count",
            "input.value": "The OpenTelemetry protocol.",
        }
        with tracer.start_as_current_span("word_count", attributes={**tool, "output.value": "3", **common}):
            pass
        root.set_attribute("output.value", "The OpenTelemetry protocol.")
    return format(root.get_span_context().trace_id, "032x")


def by_type(session: dict) -> dict[str, dict]:
    return {a["activity_type"]: a for a in session["activities"]}


def test_sdk_export_of_an_openinference_trace_is_a_session_with_tree_tokens_and_cost(live_server, client):
    project = uid("otel-")
    trace_id = export_with_sdk(live_server, rag_trace, {"service.name": "rag-app", "promptwatch.project": project})
    response = client.get(f"/api/v1/sessions/{trace_id}")
    assert response.status_code == 200, response.text
    session = response.json()
    assert (session["tracking_project"], session["session_name"], session["source"]) == (project, "rag", "otlp")
    assert session["activity_count"] == 4 and session["llm_calls"] == 1
    assert (session["prompt_tokens"], session["completion_tokens"], session["total_tokens"]) == (1000, 200, 1200)
    assert session["end_time"] is not None and session["metadata"]["service.name"] == "rag-app"
    activities = by_type(session)
    chain, llm = activities["chain-sequence"], activities["llm-prompt"]
    retriever, tool = activities["retrieved-docs"], activities["action"]
    assert chain["parent_activity_id"] is None and chain["id"].startswith(f"{trace_id}:")
    assert {a["parent_activity_id"] for a in (llm, retriever, tool)} == {chain["id"]}
    assert chain["inputs"] == {"question": "What is OTLP?"}
    assert chain["outputs"] == {"output": "The OpenTelemetry protocol."}
    assert (llm["model"], llm["provider"]) == ("gpt-4o-mini", "openai")
    assert llm["usage"]["prompt_tokens"] == 1000 and llm["usage"]["completion_tokens"] == 200
    assert llm["cost"] == pytest.approx(1000 * 0.15e-6 + 200 * 0.6e-6)
    assert session["cost"] == pytest.approx(llm["cost"])
    assert llm["prompt"][1] == {"role": "user", "text": "What is OTLP?"}
    assert llm["generated"] == "The OpenTelemetry protocol." and llm["settings"] == {"temperature": 0}
    assert [d["id"] for d in retriever["documents"]] == ["doc-1", "doc-2"]
    assert retriever["scores"] == [0.92, 0.71]
    assert (tool["tool_type"], tool["input"], tool["output"]) == ("word_count", "The OpenTelemetry protocol.", "3")
    listed = client.get("/api/v1/sessions", params={"project": project}).json()["items"]
    assert [s["id"] for s in listed] == [trace_id]
    by_service = client.get("/api/v1/sessions", params={"project": project, "meta": "service.name=rag-app"})
    assert [s["id"] for s in by_service.json()["items"]] == [trace_id]


def test_session_id_attribute_gathers_traces_and_gzip_is_accepted(live_server, client):
    session_id = uid("conv-")

    def two_traces(tracer):
        return [rag_trace(tracer, **{"session.id": session_id, "user.id": "user-7"}) for _ in range(2)]

    resource = {"service.name": uid("svc-")}
    traces = export_with_sdk(live_server, two_traces, resource, compression=Compression.Gzip)
    session = client.get(f"/api/v1/sessions/{session_id}").json()
    assert session["activity_count"] == 8 and session["tracking_tenant"] == "user-7"
    assert session["tracking_project"] == resource["service.name"]
    assert {a["id"].split(":")[0] for a in session["activities"]} == set(traces)
    for trace_id in traces:
        assert client.get(f"/api/v1/sessions/{trace_id}").status_code == 404


def otlp_json(spans: list[dict], resource: dict | None = None) -> bytes:
    attributes = [{"key": k, "value": {"stringValue": v}} for k, v in (resource or {}).items()]
    return orjson.dumps(
        {"resourceSpans": [{"resource": {"attributes": attributes}, "scopeSpans": [{"scope": {}, "spans": spans}]}]}
    )


def json_span(trace_id: str, span_id: str, **fields) -> dict:
    attributes = fields.pop("attributes", {})
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "name": "chat gpt-4o",
        "kind": 3,
        "startTimeUnixNano": str(START),
        "endTimeUnixNano": str(START + 800_000_000),
        "attributes": [
            {"key": k, "value": {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}}
            for k, v in attributes.items()
        ],
        **fields,
    }


GENAI_CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.usage.input_tokens": 1_000_000,
    "gen_ai.usage.output_tokens": 0,
    "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]',
    "gen_ai.output.messages": '[{"role": "assistant", "parts": [{"type": "text", "content": "Hello!"}]}]',
}


def post(client, body: bytes, content_type: str = "application/json", **headers):
    return client.post("/v1/traces", content=body, headers={"content-type": content_type, **headers})


def test_otlp_json_genai_span_is_an_llm_prompt_with_cost(client):
    trace_id, span_id = uid() + uid(), uid()
    error = {"status": {"code": 2, "message": "upstream timeout"}}
    body = otlp_json([json_span(trace_id, span_id, attributes=GENAI_CHAT, **error)])
    response = post(client, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json") and response.json() == {}
    session = client.get(f"/api/v1/sessions/{trace_id}").json()
    (activity,) = session["activities"]
    assert (activity["id"], activity["activity_type"], activity["model"]) == (
        f"{trace_id}:{span_id}",
        "llm-prompt",
        "gpt-4o",
    )
    assert activity["prompt"] == [{"role": "user", "text": "Hi"}] and activity["generated"] == "Hello!"
    assert activity["cost"] == pytest.approx(2.5)
    assert activity["error"] == "upstream timeout" and session["is_error"] is True


def test_resent_spans_are_stored_once(client):
    trace_id = uid() + uid()
    body = otlp_json([json_span(trace_id, uid(), attributes=GENAI_CHAT), json_span(trace_id, uid())])
    for _ in range(3):
        assert post(client, body).status_code == 200
    assert post(client, gzip.compress(body), **{"content-encoding": "gzip"}).status_code == 200
    assert post(client, zlib.compress(body), **{"content-encoding": "deflate"}).status_code == 200
    session = client.get(f"/api/v1/sessions/{trace_id}").json()
    assert len(session["activities"]) == 2 and session["activity_count"] == 2
    assert session["llm_calls"] == 1 and session["prompt_tokens"] == 1_000_000


def test_nul_characters_are_stored_as_replacement_characters(client):
    trace_id = uid() + uid()
    span = json_span(trace_id, uid(), name="odd\x00name", attributes={"key\x00": "value\x00"})
    assert post(client, otlp_json([span], {"service.name": "svc\x00"})).json() == {}
    session = client.get(f"/api/v1/sessions/{trace_id}").json()
    assert session["session_name"] == "odd\ufffdname" and session["tracking_project"] == "svc\ufffd"
    assert session["activities"][0]["attributes"] == {"key\ufffd": "value\ufffd"}


def test_unmappable_spans_are_a_partial_success_and_the_others_are_stored(client):
    trace_id, good = uid() + uid(), uid()
    spans = [json_span(trace_id, good), json_span(trace_id, "abcd"), json_span(trace_id, uid(), startTimeUnixNano="0")]
    response = post(client, otlp_json(spans))
    assert response.status_code == 200, response.text
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "2" and "span id" in partial["errorMessage"]
    session = client.get(f"/api/v1/sessions/{trace_id}").json()
    assert [a["id"] for a in session["activities"]] == [f"{trace_id}:{good}"]


@pytest.mark.parametrize(
    ("body", "content_type", "headers"),
    [
        (b"\xff\xfe\x00garbage", "application/x-protobuf", {}),
        (b"{", "application/json", {}),
        (b"[1, 2]", "application/json", {}),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "soon"}]}]}]}', "application/json", {}),
        (b"not gzip", "application/json", {"content-encoding": "gzip"}),
        (gzip.compress(b'{"resourceSpans": []}')[:-8], "application/json", {"content-encoding": "gzip"}),
        (zlib.compress(b"\x00" * 10), "application/x-protobuf", {"content-encoding": "gzip"}),
    ],
    ids=range(7),
)
def test_undecodable_bodies_are_a_400_problem(client, body, content_type, headers):
    response = post(client, body, content_type, **headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"]


def test_a_body_too_large_once_decompressed_is_a_413(live_server, client):
    bomb = gzip.compress(b"\x00" * (live_server.settings().max_request_bytes + 1))
    response = post(client, bomb, "application/x-protobuf", **{"content-encoding": "gzip"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("content_type", "headers"),
    [("text/plain", {}), ("application/xml", {}), ("", {}), ("application/json", {"content-encoding": "br"})],
)
def test_other_content_types_and_encodings_are_a_415(client, content_type, headers):
    response = post(client, b"{}", content_type, **headers)
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("application/problem+json")


def test_protobuf_reply_to_a_protobuf_request(client):
    response = post(client, b"", "application/x-protobuf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf" and response.content == b""


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "not-a-key"}, {"authorization": "Bearer cGtfbm9uZTpzZWNyZXQ="}],
)
def test_bad_keys_are_a_401(live_server, headers):
    with live_server.client() as anonymous:
        response = post(anonymous, otlp_json([]), **headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_exporter_with_a_bad_key_fails_without_storing(live_server, client):
    exporter = RecordingExporter(endpoint=f"{live_server.base_url}/v1/traces", headers={"x-api-key": "bad"}, timeout=5)
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    with provider.get_tracer("tests.otlp").start_as_current_span("lost") as span:
        span.set_status(Status(StatusCode.OK))
    provider.force_flush(10_000)
    provider.shutdown()
    assert exporter.results == [SpanExportResult.FAILURE]
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert client.get(f"/api/v1/sessions/{trace_id}").status_code == 404


def test_project_limited_key_rejects_other_named_projects_and_read_keys_cannot_export(live_server):
    keys = live_server.accounts()._rt.keys
    project = uid("only-")
    limited = keys.create(live_server.first.account_id, "ingest", name="otlp", project=project)
    trace_id = uid() + uid()
    with live_server.client(limited) as client:
        ours = otlp_json([json_span(trace_id, uid())], {"service.name": "whatever"})
        assert post(client, ours).json() == {}
        theirs = otlp_json([json_span(uid() + uid(), uid())], {"promptwatch.project": "someone-else"})
        assert post(client, theirs).json()["partialSuccess"]["rejectedSpans"] == "1"
        assert client.get(f"/api/v1/sessions/{trace_id}").json()["tracking_project"] == project
    reader = keys.create(live_server.first.account_id, "read", name="otlp-read")
    with live_server.client(reader) as client:
        assert post(client, ours).status_code == 403


def test_a_lone_surrogate_escape_is_stored_as_a_replacement_character(client):
    """JSON may escape half of a UTF-16 pair (an emoji cut by a client that truncates strings): the batch is
    stored, that character as U+FFFD."""
    trace_id = uid() + uid()
    body = otlp_json([json_span(trace_id, uid(), name="cut CUT here")]).replace(b"CUT", b"\\ud83d")
    assert post(client, body).json() == {}
    assert client.get(f"/api/v1/sessions/{trace_id}").json()["session_name"] == "cut \ufffd here"


def _found_by_search(client, words: str) -> set[str]:
    return {item["id"] for item in client.get("/api/v1/sessions", params={"q": words}).json()["items"]}


def test_a_reply_with_text_and_tool_calls_keeps_the_text_and_the_calls_which_search_finds(client):
    """OpenInference and GenAI alike: the reply's text is `generated`, its tool calls `outputs.tool_calls`."""
    openinference = {
        "openinference.span.kind": "LLM",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "Weather in Prague?",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "Let me look that up.",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "forecast_lookup",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city": "Brno"}',
    }
    parts = [
        {"type": "text", "content": "Let me look that up."},
        {"type": "tool_call", "id": "call_1", "name": "forecast_lookup", "arguments": {"city": "Brno"}},
    ]
    genai = {**GENAI_CHAT, "gen_ai.output.messages": orjson.dumps([{"role": "assistant", "parts": parts}]).decode()}
    calls = {
        "openinference": {"id": "call_1", "name": "forecast_lookup", "arguments": '{"city": "Brno"}'},
        "genai": {"id": "call_1", "name": "forecast_lookup", "arguments": {"city": "Brno"}},
    }
    traces = {name: uid() + uid() for name in calls}
    spans = [
        json_span(traces[name], uid(), attributes=attrs)
        for name, attrs in (("openinference", openinference), ("genai", genai))
    ]
    assert post(client, otlp_json(spans)).json() == {}
    for name, call in calls.items():
        (activity,) = client.get(f"/api/v1/sessions/{traces[name]}").json()["activities"]
        assert activity["generated"] == "Let me look that up."
        assert activity["outputs"] == {"tool_calls": [call]}
    assert set(traces.values()) <= _found_by_search(client, "forecast_lookup Brno")  # in the tool calls only
