"""OTLP spans → activities: the conventions (OpenInference, GenAI, OpenLLMetry), identity rules, decoding."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import orjson
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from promptwatch.schema.records import ActivityIn
from promptwatch.server.errors import DomainError
from promptwatch.server.services.otlp_ingest import (
    JSON,
    PROTOBUF,
    ExportResult,
    SpanRejected,
    decode_request,
    encode_response,
    map_span,
)
from promptwatch.server.services.otlp_mapping import (
    MAX_ATTRIBUTES,
    MAX_LIST_ITEMS,
    MAX_VALUE_CHARS,
    OtlpEvent,
    OtlpSpan,
)

TRACE, SPAN, PARENT = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "00f067aa0ba902b7"
START = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
EXCEPTION = {"exception.type": "KeyError", "exception.message": "x", "exception.stacktrace": "..."}


def span(attributes=None, **fields) -> OtlpSpan:
    values = {"trace_id": TRACE, "span_id": SPAN, "name": "step", "start_ns": START, "end_ns": START + 2_500_000}
    return OtlpSpan(**{**values, **fields, "attributes": attributes or {}})


def mapped(attributes=None, **fields):
    """The mapping, checked against the native API's strict model as the service does."""
    result = map_span(span(attributes, **fields))
    ActivityIn.model_validate(result.activity)
    return result


def activity(attributes=None, **fields) -> dict:
    return mapped(attributes, **fields).activity


def test_openinference_llm_span_is_an_llm_prompt():
    a = activity(
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini",
            "llm.provider": "openai",
            "llm.invocation_parameters": '{"temperature": 0.2, "max_tokens": 50}',
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.0.message.content": "Be brief.",
            "llm.input_messages.1.message.role": "user",
            "llm.input_messages.1.message.contents.0.message_content.type": "text",
            "llm.input_messages.1.message.contents.0.message_content.text": "What is OTLP?",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "A protocol.",
            "llm.token_count.prompt": 12,
            "llm.token_count.completion": 3,
            "llm.token_count.total": 15,
            "llm.prompt_template.template": "What is {topic}?",
            "llm.prompt_template.variables": '{"topic": "OTLP"}',
            "llm.prompt_template.version": "v2",
            "input.value": '{"messages": "the whole request"}',
            "input.mime_type": "application/json",
            "http.route": "/ask",
        }
    )
    assert a["activity_type"] == "llm-prompt"
    assert a["prompt"] == [
        {"role": "system", "text": "Be brief."},
        {"role": "user", "text": "What is OTLP?"},
    ]
    assert a["generated"] == "A protocol."
    assert (a["model"], a["provider"]) == ("gpt-4o-mini", "openai")
    assert a["settings"] == {"temperature": 0.2, "max_tokens": 50}
    assert a["usage"] == {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
    assert a["prompt_template"] == {"prompt_template": "What is {topic}?", "template_version": "v2"}
    assert a["prompt_input_values"] == {"topic": "OTLP"}
    assert a["attributes"] == {"http.route": "/ask"}  # what the mapping used is not kept twice


def test_openinference_llm_without_messages_falls_back_to_values_and_tool_calls():
    a = activity(
        {
            "openinference.span.kind": "LLM",
            "input.value": "Complete: 1, 2,",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "add",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"a": 1}',
        }
    )
    assert a["prompt"] == "Complete: 1, 2,"
    assert orjson.loads(a["generated"]) == [{"id": None, "name": "add", "arguments": '{"a": 1}'}]
    assert "usage" not in a or a["usage"] is None


def test_openinference_tool_span_is_an_action():
    a = activity(
        {
            "openinference.span.kind": "TOOL",
            "tool.name": "calculator",
            "input.value": '{"expression": "2+2"}',
            "input.mime_type": "application/json",
            "output.value": "4",
        },
        name="calculator",
    )
    assert a["activity_type"] == "action"
    assert (a["tool_type"], a["input"], a["output"]) == ("calculator", '{"expression": "2+2"}', "4")
    assert a["input_data"] == {"expression": "2+2"}
    assert a["output_data"] is None


def test_openinference_retriever_span_is_retrieved_docs_with_scores():
    a = activity(
        {
            "openinference.span.kind": "RETRIEVER",
            "input.value": "what is otlp",
            "retrieval.documents.0.document.id": 7,
            "retrieval.documents.0.document.content": "OTLP is the OpenTelemetry protocol.",
            "retrieval.documents.0.document.score": 0.9,
            "retrieval.documents.0.document.metadata": '{"source": "otel.md"}',
            "retrieval.documents.1.document.id": "b",
            "retrieval.documents.1.document.content": "Spans have ids.",
            "retrieval.documents.1.document.score": 0.5,
        }
    )
    assert a["activity_type"] == "retrieved-docs"
    assert a["documents"] == [
        {
            "id": "7",
            "text": "OTLP is the OpenTelemetry protocol.",
            "metadata": {"source": "otel.md"},
            "source": "otel.md",
        },
        {"id": "b", "text": "Spans have ids."},
    ]
    assert a["scores"] == [0.9, 0.5]
    assert a["inputs"] == {"query": "what is otlp"}


def test_retriever_scores_are_left_out_unless_every_document_has_one():
    a = activity(
        {
            "openinference.span.kind": "RETRIEVER",
            "retrieval.documents.0.document.content": "one",
            "retrieval.documents.0.document.score": 1,
            "retrieval.documents.1.document.content": "two",
        }
    )
    assert a["scores"] is None and len(a["documents"]) == 2


@pytest.mark.parametrize("kind", ["CHAIN", "AGENT", "chain"])
def test_openinference_chain_and_agent_are_chain_sequences(kind):
    a = activity(
        {
            "openinference.span.kind": kind,
            "input.value": '{"question": "why?"}',
            "input.mime_type": "application/json",
            "output.value": "because",
            "output.mime_type": "text/plain",
        }
    )
    assert a["activity_type"] == "chain-sequence"
    assert a["sequence_type"] == kind.lower()
    assert a["inputs"] == {"question": "why?"}
    assert a["outputs"] == {"output": "because"}


@pytest.mark.parametrize("kind", ["RERANKER", "GUARDRAIL", "EVALUATOR", "SOMETHING_NEW"])
def test_other_openinference_kinds_are_spans_that_keep_their_attributes(kind):
    a = activity({"openinference.span.kind": kind, "embedding.model_name": "e5"})
    assert a["activity_type"] == "span"
    assert a["attributes"] == {"openinference.span.kind": kind, "embedding.model_name": "e5"}


def test_genai_chat_span_reads_messages_attributes_settings_and_usage():
    a = activity(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.model": "gpt-4o-2024-08-06",
            "gen_ai.request.temperature": 0.7,
            "gen_ai.request.max_tokens": 100,
            "gen_ai.usage.input_tokens": 20,
            "gen_ai.usage.output_tokens": 5,
            "gen_ai.system_instructions": '[{"type": "text", "content": "You are terse."}]',
            "gen_ai.input.messages": orjson.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": "Hello"}]}]
            ).decode(),
            "gen_ai.output.messages": orjson.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": "Hi."}], "finish_reason": "stop"}]
            ).decode(),
            "server.address": "api.openai.com",
        },
        kind="CLIENT",
    )
    assert a["activity_type"] == "llm-prompt"
    assert a["prompt"] == [{"role": "system", "text": "You are terse."}, {"role": "user", "text": "Hello"}]
    assert a["generated"] == "Hi."
    assert (a["model"], a["provider"]) == ("gpt-4o", "openai")  # asked for, as the SDK records it
    assert a["metadata"]["response_model"] == "gpt-4o-2024-08-06"
    assert a["settings"] == {"temperature": 0.7, "max_tokens": 100}
    assert a["usage"] == {"prompt_tokens": 20, "completion_tokens": 5}
    assert a["attributes"] == {"server.address": "api.openai.com"}
    assert a["metadata"]["otel"]["kind"] == "CLIENT"


@pytest.mark.parametrize(
    ("attributes", "model", "answered"),
    [
        ({"gen_ai.operation.name": "chat", "gen_ai.response.model": "gpt-4o-mini-2024-07-18"}, None, None),
        (
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "gpt-4o-mini-2024-07-18",
                "llm.invocation_parameters": '{"model": "gpt-4o-mini", "temperature": 0}',
            },
            "gpt-4o-mini",
            "gpt-4o-mini-2024-07-18",
        ),
        (
            {
                "openinference.span.kind": "EMBEDDING",
                "embedding.model_name": "text-embedding-3-small",
                "embedding.invocation_parameters": '{"model": "text-embedding-3-small"}',
            },
            "text-embedding-3-small",
            None,
        ),
        (
            {
                "gen_ai.operation.name": "embeddings",
                "gen_ai.request.model": "text-embedding-3-small",
                "gen_ai.response.model": "text-embedding-3-small-v2",
            },
            "text-embedding-3-small",
            "text-embedding-3-small-v2",
        ),
    ],
)
def test_a_call_is_recorded_under_the_model_it_asked_for_and_the_answer_s_model_beside_it(attributes, model, answered):
    """As the SDK records a call, so that a model's failed calls (no answer, no answered model) and its answered
    ones count under one name; with only an answer's model, that is the model."""
    a = activity(attributes)
    assert a["model"] == (model or attributes.get("gen_ai.response.model"))
    assert a["metadata"].get("response_model") == answered


@pytest.mark.parametrize("sent", ["lots", -3.5, 2.5, -1, 10**13, True])
def test_a_token_count_that_is_no_count_is_kept_among_the_attributes(sent):
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": sent}
    a = activity({**attributes, "gen_ai.usage.output_tokens": 5.0})
    assert a["usage"] == {"completion_tokens": 5}
    assert a["attributes"] == {"gen_ai.usage.input_tokens": sent}


def test_a_later_alias_of_a_token_count_is_taken_when_the_first_holds_none():
    a = activity(
        {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": "lots", "gen_ai.usage.prompt_tokens": 12}
    )
    assert a["usage"] == {"prompt_tokens": 12}
    assert a["attributes"] == {"gen_ai.usage.input_tokens": "lots"}


def test_genai_messages_from_span_events_are_not_repeated_as_events():
    events = (
        OtlpEvent("gen_ai.system.message", START, {"content": "Be kind."}),
        OtlpEvent("gen_ai.user.message", START, {"gen_ai.event.content": '{"content": "Hi there"}'}),
        OtlpEvent("gen_ai.choice", START, {"index": 0, "message": '{"role": "assistant", "content": "Hello!"}'}),
        OtlpEvent("retry", START + 1000, {"attempt": 2}),
    )
    a = activity({"gen_ai.operation.name": "text_completion", "gen_ai.system": "openai"}, events=events)
    assert a["prompt"] == [{"role": "system", "text": "Be kind."}, {"role": "user", "text": "Hi there"}]
    assert a["generated"] == "Hello!"
    assert a["provider"] == "openai"
    assert [e["name"] for e in a["metadata"]["otel"]["events"]] == ["retry"]


def test_openllmetry_indexed_prompts_are_read():
    a = activity(
        {
            "llm.request.type": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.prompt.0.role": "user",
            "gen_ai.prompt.0.content": "ping",
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.content": "pong",
            "gen_ai.usage.prompt_tokens": 3,
            "gen_ai.usage.completion_tokens": 1,
        }
    )
    assert a["activity_type"] == "llm-prompt"
    assert a["prompt"] == [{"role": "user", "text": "ping"}]
    assert a["generated"] == "pong"
    assert a["usage"] == {"prompt_tokens": 3, "completion_tokens": 1}


def test_token_counts_that_cannot_be_true_are_left_out():
    attributes = {"openinference.span.kind": "LLM", "llm.token_count.prompt": -1, "llm.token_count.completion": 2**40}
    assert activity({**attributes, "llm.token_count.total": "7"})["usage"] == {"total_tokens": 7}


def test_genai_execute_tool_is_an_action_and_invoke_agent_a_chain():
    tool = activity(
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.arguments": '{"city": "Oslo"}',
            "gen_ai.tool.call.result": "rainy",
        }
    )
    assert tool["activity_type"] == "action"
    assert (tool["tool_type"], tool["input"], tool["output"]) == ("get_weather", '{"city": "Oslo"}', "rainy")
    agent = activity({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"})
    assert (agent["activity_type"], agent["sequence_type"]) == ("chain-sequence", "agent")
    assert activity({"gen_ai.operation.name": "create_agent"})["activity_type"] == "span"


def embeddings(texts: list[str], dimensions: int) -> dict:
    """OpenInference's flattened `embedding.embeddings`: each text with its vector."""
    found = {}
    for index, text in enumerate(texts):
        found[f"embedding.embeddings.{index}.embedding.text"] = text
        found[f"embedding.embeddings.{index}.embedding.vector"] = [0.25] * dimensions
    return found


def test_openinference_embedding_span_is_an_embedding_with_its_texts_and_no_vectors():
    a = activity(
        {
            "openinference.span.kind": "EMBEDDING",
            "embedding.model_name": "text-embedding-3-small",
            **embeddings(["What is OTLP?", "Traces and spans", "Vectors"], 4),
            "embedding.invocation_parameters": '{"model": "text-embedding-3-small", "dimensions": 4}',
            "llm.token_count.prompt": 9,
            "llm.token_count.total": 9,
            "input.value": '{"input": ["What is OTLP?", "Traces and spans", "Vectors"]}',
            "input.mime_type": "application/json",
            "output.value": "[[0.25, 0.25, 0.25, 0.25]]",
            "output.mime_type": "application/json",
        },
        name="CreateEmbeddings",
    )
    assert (a["activity_type"], a["model"], a["provider"]) == ("embedding", "text-embedding-3-small", None)
    assert a["prompt"] == ["What is OTLP?", "Traces and spans", "Vectors"]
    assert a["settings"] == {"model": "text-embedding-3-small", "dimensions": 4}
    assert a["usage"] == {"prompt_tokens": 9, "total_tokens": 9}
    assert a["outputs"] == {"vectors": 3, "dimensions": 4}
    assert a["attributes"] is None  # neither the vectors nor the input again


def test_an_embedding_counts_every_vector_and_keeps_the_first_texts():
    a = activity({"openinference.span.kind": "EMBEDDING", **embeddings([f"text {i}" for i in range(300)], 2)})
    assert a["outputs"] == {"vectors": 300, "dimensions": 2}
    assert a["prompt"][:2] == ["text 0", "text 1"] and len(a["prompt"]) == MAX_LIST_ITEMS


@pytest.mark.parametrize(
    ("value", "mime_type", "prompt"),
    [
        ('{"input": ["red", "green"], "model": "e5"}', "application/json", ["red", "green"]),
        ('"one text"', "application/json", "one text"),
        ("plain text", "text/plain", "plain text"),
        ('{"input": [[101, 2023], [102]]}', "application/json", ""),  # token ids are no text
    ],
)
def test_an_embedding_without_texts_takes_its_input_value(value, mime_type, prompt):
    a = activity({"openinference.span.kind": "EMBEDDING", "input.value": value, "input.mime_type": mime_type})
    assert (a["activity_type"], a["prompt"], a["outputs"]) == ("embedding", prompt, None)


def test_genai_embeddings_span_is_an_embedding_with_its_settings_and_usage():
    a = activity(
        {
            "gen_ai.operation.name": "embeddings",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "text-embedding-3-large",
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.embeddings.dimension.count": 256,
            "gen_ai.request.encoding_formats": ["float"],
            "server.address": "api.openai.com",
        },
        name="embeddings text-embedding-3-large",
    )
    assert (a["activity_type"], a["model"], a["provider"]) == ("embedding", "text-embedding-3-large", "openai")
    assert a["settings"] == {"dimensions": 256, "encoding_formats": ["float"]}
    assert a["usage"] == {"prompt_tokens": 12} and a["prompt"] == "" and a["outputs"] is None
    assert a["attributes"] == {"server.address": "api.openai.com"}


def test_openllmetry_embedding_request_reads_its_prompts_as_texts():
    a = activity(
        {
            "llm.request.type": "embedding",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "text-embedding-ada-002",
            "gen_ai.prompt.0.content": "first",
            "gen_ai.prompt.1.content": "second",
            "gen_ai.usage.prompt_tokens": 2,
            "llm.usage.total_tokens": 2,
        }
    )
    assert (a["activity_type"], a["provider"], a["prompt"]) == ("embedding", "openai", ["first", "second"])
    assert a["usage"] == {"prompt_tokens": 2, "total_tokens": 2}


def test_plain_span_keeps_bounded_attributes_events_kind_and_times():
    attributes = {f"key.{i}": i for i in range(MAX_ATTRIBUTES + 20)}
    attributes["key.0"] = "x" * (MAX_VALUE_CHARS + 100)
    events = (OtlpEvent("cache.miss", START + 1_000, {"key": "abc"}),)
    a = activity(attributes, kind="SERVER", scope="my.lib", events=events, name="GET /items")
    assert a["activity_type"] == "span" and a["name"] == "GET /items"
    assert len(a["attributes"]) == MAX_ATTRIBUTES
    assert len(a["attributes"]["key.0"]) == MAX_VALUE_CHARS
    assert a["start_time"] == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert (a["end_time"] - a["start_time"]).total_seconds() == 0.0025
    assert a["metadata"]["otel"] == {
        "trace_id": TRACE,
        "span_id": SPAN,
        "kind": "SERVER",
        "scope": "my.lib",
        "events": [{"name": "cache.miss", "time": "2026-01-01T00:00:00.000001+00:00", "attributes": {"key": "abc"}}],
    }


def test_openinference_metadata_and_tags_are_kept():
    a = activity({"metadata": '{"experiment": "b"}', "tag.tags": ["beta", "eu"], "openinference.span.kind": "CHAIN"})
    assert a["metadata"]["experiment"] == "b" and a["tags"] == ["beta", "eu"]


def test_open_span_has_no_end_and_an_end_before_the_start_is_clamped():
    assert activity(end_ns=0)["end_time"] is None
    assert activity(end_ns=2**64 - 1)["end_time"].year == 2554  # fixed64 nanoseconds never overflow a datetime
    a = activity(end_ns=START - 10)
    assert a["end_time"] == a["start_time"]


@pytest.mark.parametrize(
    ("status", "message", "events", "error"),
    [
        ("ERROR", "rate limited", (), "rate limited"),
        ("ERROR", "", (OtlpEvent("exception", START, EXCEPTION),), "KeyError: x"),
        ("ERROR", "", (), "error"),
        ("OK", "fine", (), None),
        ("UNSET", "", (), None),
    ],
)
def test_error_status_becomes_the_activity_error(status, message, events, error):
    assert activity(status_code=status, status_message=message, events=events)["error"] == error


def test_ids_carry_the_trace_and_parents_use_the_same_form():
    a = activity(parent_span_id=PARENT)
    assert a["id"] == f"{TRACE}:{SPAN}"
    assert a["parent_activity_id"] == f"{TRACE}:{PARENT}"
    assert activity(parent_span_id="0" * 16)["parent_activity_id"] is None


@pytest.mark.parametrize(
    ("attributes", "session_id"),
    [
        ({"session.id": "conv-42"}, "conv-42"),
        ({"gen_ai.conversation.id": "thread-7"}, "thread-7"),
        ({"session.id": "a", "gen_ai.conversation.id": "b"}, "a"),
        ({"session.id": 99}, "99"),
        ({"session.id": "  "}, TRACE),
        ({}, TRACE),
    ],
)
def test_session_is_the_session_attribute_else_the_trace(attributes, session_id):
    result = mapped(attributes)
    assert result.session_id == result.activity["session_id"] == session_id
    assert "session.id" not in (result.activity["attributes"] or {})


@pytest.mark.parametrize(
    ("resource", "project", "explicit"),
    [
        ({"promptwatch.project": "shop", "service.name": "api"}, "shop", True),
        ({"openinference.project.name": "rag", "service.name": "api"}, "rag", True),
        ({"service.name": "api"}, "api", False),
        ({"service.name": "unknown_service:python"}, None, False),
        ({"service.name": "has spaces"}, None, False),
        ({}, None, False),
    ],
)
def test_project_comes_from_the_resource(resource, project, explicit):
    result = mapped(resource=resource)
    assert (result.project, result.project_is_explicit) == (project, explicit)


def test_tenant_comes_from_span_then_resource():
    assert mapped({"user.id": "u-1"}, resource={"promptwatch.tenant": "acme"}).tenant == "u-1"
    assert mapped(resource={"promptwatch.tenant": "acme", "tenant.id": "other"}).tenant == "acme"
    assert mapped({"user.id": "has space"}).tenant is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"trace_id": "abc"}, "trace id"),
        ({"trace_id": "0" * 32}, "trace id"),
        ({"span_id": ""}, "span id"),
        ({"span_id": "0" * 16}, "span id"),
        ({"parent_span_id": "12"}, "parent span id"),
        ({"start_ns": 0}, "start time"),
    ],
)
def test_unusable_spans_are_rejected(fields, reason):
    with pytest.raises(SpanRejected, match=reason):
        map_span(span(**fields))


def _json_request(**span_fields) -> dict:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
                "scopeSpans": [
                    {
                        "scope": {"name": "lib"},
                        "spans": [
                            {
                                "traceId": TRACE,
                                "spanId": SPAN,
                                "parentSpanId": PARENT,
                                "name": "step",
                                "kind": 2,
                                "startTimeUnixNano": str(START),
                                "endTimeUnixNano": str(START + 1000),
                                "attributes": [
                                    {"key": "n", "value": {"intValue": "42"}},
                                    {"key": "ok", "value": {"boolValue": True}},
                                    {"key": "list", "value": {"arrayValue": {"values": [{"doubleValue": 1.5}]}}},
                                    {"key": "map", "value": {"kvlistValue": {"values": [{"key": "a", "value": {}}]}}},
                                ],
                                "status": {"code": "STATUS_CODE_ERROR", "message": "bad"},
                                **span_fields,
                            }
                        ],
                    }
                ],
            }
        ]
    }


def test_otlp_json_with_hex_ids_and_string_integers_is_decoded():
    (decoded,) = decode_request(orjson.dumps(_json_request()), JSON)
    assert (decoded.trace_id, decoded.span_id, decoded.parent_span_id) == (TRACE, SPAN, PARENT)
    assert (decoded.kind, decoded.status_code, decoded.status_message) == ("SERVER", "ERROR", "bad")
    assert decoded.start_ns == START and decoded.resource == {"service.name": "svc"} and decoded.scope == "lib"
    assert decoded.attributes == {"n": 42, "ok": True, "list": [1.5], "map": {"a": None}}


def test_snake_case_keys_and_unknown_fields_are_accepted():
    body = _json_request(unknownField=1)
    span_json = body["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span_json["trace_id"] = span_json.pop("traceId")
    (decoded,) = decode_request(orjson.dumps(body), JSON)
    assert decoded.trace_id == TRACE


def test_protobuf_is_decoded():
    request = ExportTraceServiceRequest()
    proto_span = request.resource_spans.add().scope_spans.add().spans.add()
    proto_span.trace_id, proto_span.span_id, proto_span.name = bytes.fromhex(TRACE), bytes.fromhex(SPAN), "p"
    proto_span.start_time_unix_nano = START
    proto_span.attributes.add(key="b", value={"bytes_value": b"\x01\x02"})
    (decoded,) = decode_request(request.SerializeToString(), PROTOBUF)
    assert (decoded.trace_id, decoded.parent_span_id, decoded.name) == (TRACE, "", "p")
    assert decoded.attributes == {"b": base64.b64encode(b"\x01\x02").decode()}


@pytest.mark.parametrize(
    ("body", "media"),
    [
        (b"{", JSON),
        (b"[]", JSON),
        (b'{"resourceSpans": "no"}', JSON),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "soon"}]}]}]}', JSON),
        (b"\xff\xfe\x00garbage", JSON),
        (b"\xff\xfe\x00garbage", PROTOBUF),
    ],
)
def test_undecodable_bodies_are_a_400(body, media):
    with pytest.raises(DomainError) as raised:
        decode_request(body, media)
    assert raised.value.status == 400


def test_response_carries_partial_success_in_the_request_encoding():
    assert orjson.loads(encode_response(ExportResult(0, ""), JSON)) == {}
    partial = ExportResult(2, "span x: no start time")
    assert orjson.loads(encode_response(partial, JSON)) == {
        "partialSuccess": {"rejectedSpans": "2", "errorMessage": "span x: no start time"}
    }
    response = ExportTraceServiceResponse.FromString(encode_response(partial, PROTOBUF))
    assert response.partial_success.rejected_spans == 2
