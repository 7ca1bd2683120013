"""What text search indexes of an activity: its error, and the words a person wrote or a model produced, in every
shape a prompt arrives in, never a chat message's role, a content part's type or an id."""

from __future__ import annotations

import re

import pytest
from alembic.script import ScriptDirectory

from promptwatch.server.store.schema_version import _config
from promptwatch.server.store.search import MAX_INDEXED_CHARS, text_of

# (body, the words text search finds in it)
BODIES = {
    "native chat messages": (
        {"prompt": [{"role": "system", "text": "be terse"}, {"role": "user", "text": "refund order"}]},
        "be terse refund order",
    ),
    "OpenAI messages with parts and tool calls": (
        {
            "prompt": [
                {"role": "user", "content": [{"type": "text", "text": "what is this"}]},
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iV"}}]},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "call_9x", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
                    ],
                },
                {"role": "tool", "tool_call_id": "call_9x", "name": "lookup", "content": "a kettle"},
            ],
            "generated": "It is a kettle.",
        },
        "what is this lookup lookup a kettle It is a kettle",
    ),
    "a LangChain message in a chain's inputs, as the SDK copies it": (
        {"inputs": {"messages": [{"__type__": "HumanMessage", "content": "hello there", "type": "human", "id": "r1"}]}},
        "hello there",
    ),
    "OpenTelemetry messages with a tool call": (
        {"prompt": [{"role": "assistant", "text": "", "tool_calls": [{"id": "c1", "name": "f", "arguments": "x"}]}]},
        "f x",
    ),
    "documents": (
        {"documents": [{"id": "doc-12345", "text": "return policy", "source": "kb"}], "input": "returns"},
        "returns return policy kb",
    ),
    "a chain's inputs and outputs": (
        {"inputs": {"question": "weather in Prague", "run_id": "r-1"}, "outputs": {"answer": "sunny"}},
        "weather in Prague sunny",
    ),
    "parallel prompts": ({"prompts": [{"prompt": "one", "generated": "two"}]}, "one two"),
    "a log": ({"text": "user system"}, "user system"),  # the words themselves, where someone wrote them
}


def otel_exception(kind: str, message: str) -> dict:
    """A body's metadata as OTLP ingestion keeps a span's recorded exception."""
    attributes = {"exception.type": kind, "exception.message": message, "exception.stacktrace": "File app.py"}
    return {"otel": {"trace_id": "t1", "events": [{"name": "exception", "attributes": attributes}]}}


# (body, error, the words text search finds)
ERRORS = {
    "the SDK's error before the body's words": (
        {"text": "ticket system"},
        "RateLimitError: context length exceeded",
        "RateLimitError context length exceeded ticket system",
    ),
    "a span's status message with the type of the exception it recorded": (
        {"metadata": otel_exception("openai.RateLimitError", "Error code: 429")},
        "upstream refused",
        "upstream refused openai RateLimitError Error code 429",
    ),
    "a span's error made of its exception, not repeated": (
        {"metadata": otel_exception("java.net.SocketTimeoutException", "Read timed out")},
        "java.net.SocketTimeoutException: Read timed out",
        "java net SocketTimeoutException Read timed out",
    ),
    "other events, odd shapes": (
        {"metadata": {"otel": {"events": [{"name": "retry", "attributes": {"exception.type": "X"}}, "odd", None]}}},
        "failed at step 1.5",  # a dot between digits stays
        "failed at step 1.5",
    ),
}


def words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text))


@pytest.mark.parametrize("shape", BODIES)
def test_the_index_holds_the_words_not_roles_types_or_ids(shape):
    body, expected = BODIES[shape]
    assert words(text_of(body)) == words(expected)


@pytest.mark.parametrize("shape", ERRORS)
def test_the_index_holds_an_error_and_the_exception_a_span_recorded(shape):
    body, error, expected = ERRORS[shape]
    assert words(text_of(body, error)) == words(expected)


def test_without_an_error_a_recorded_exception_is_not_indexed():
    body = {"text": "retried", "metadata": otel_exception("TimeoutError", "timed out")}
    assert text_of(body) == text_of(body, "") == "retried"


def test_a_long_prompt_leaves_the_error_in_the_index():
    text = text_of({"prompt": "word " * MAX_INDEXED_CHARS}, "RateLimitError")
    assert len(text) == MAX_INDEXED_CHARS and text.startswith("RateLimitError\n")


def test_the_newest_reindexing_migration_holds_the_rule_text_of_has():
    """SQLite's index removes a row by the text it was indexed with: when `text_of` changes, this fails until a
    migration indexes the stored activities again with the new rule (and this test reads that migration)."""
    migration = ScriptDirectory.from_config(_config()).get_revision("0015_search_error_messages").module
    cases = [(body, None) for body, _words in BODIES.values()] + [(body, e) for body, e, _words in ERRORS.values()]
    for body, error in cases:
        assert migration._text_of(body, error) == text_of(body, error)
