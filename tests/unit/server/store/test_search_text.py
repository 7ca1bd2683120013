"""What text search indexes of an activity body: the words a person wrote or a model produced, in every shape a
prompt arrives in, never a chat message's role, a content part's type or an id."""

from __future__ import annotations

import re

import pytest
from alembic.script import ScriptDirectory

from promptwatch.server.store.schema_version import _config
from promptwatch.server.store.search import text_of

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


def words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text))


@pytest.mark.parametrize("shape", BODIES)
def test_the_index_holds_the_words_not_roles_types_or_ids(shape):
    body, expected = BODIES[shape]
    assert words(text_of(body)) == words(expected)


def test_the_newest_reindexing_migration_holds_the_rule_text_of_has():
    """SQLite's index removes a row by the text it was indexed with: when `text_of` changes, this fails until a
    migration indexes the stored bodies again with the new rule (and this test reads that migration)."""
    migration = ScriptDirectory.from_config(_config()).get_revision("0012_search_words_only").module
    for body, _words in BODIES.values():
        assert migration._text_of(body, migration._words_only) == text_of(body)
