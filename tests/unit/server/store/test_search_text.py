"""What text search indexes of an activity: its error, and the words a person wrote or a model produced, in every
shape a prompt arrives in, never a chat message's role, a content part's type or an id; Chinese and Japanese as
pairs of neighbouring characters, and the user's words as the index holds them."""

from __future__ import annotations

import re
import unicodedata
from itertools import chain

import pytest
from alembic.script import ScriptDirectory

from promptwatch.server.store.schema_version import _config
from promptwatch.server.store.search import MAX_INDEXED_CHARS, cjk_pairs, query_words, text_of, ts_query

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
    "files sent with a prompt and a reasoning item": (
        {
            "prompt": [
                {
                    "role": "user",
                    "text": "summarise the contract",
                    "content": [{"type": "file", "file": {"filename": "a.pdf", "file_data": "JVBERi0xLjcK" * 2000}}],
                },
                {"role": "user", "content": [{"type": "input_file", "file_data": "JVBERi0xLjcK" * 2000}]},
                {"type": "reasoning", "encrypted_content": "gAAAAB" * 2000, "summary": []},
            ],
            "generated": "The contract runs for a year.",
        },
        "summarise the contract The contract runs for a year",
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
    "Chinese": ({"text": "我住在东京大学附近。"}, "我住 住在 在东 东京 京大 大学 学附 附近 近"),
    "Japanese, kanji and kana in one run": (
        {"text": "東京タワーに行きたい"},
        "東京 京タ タワ ワー ーに に行 行き きた たい い",
    ),
    "Latin letters and digits beside Chinese": ({"text": "GPT模型在2024年发布"}, "GPT 模型 型在 在 2024 年发 发布 布"),
    "one character alone, punctuation between": ({"text": "猫、犬・人々"}, "猫 犬 人々 々"),
    "Korean is written with spaces: unchanged": ({"text": "서울 대학교"}, "서울 대학교"),
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


def test_a_long_chinese_text_is_indexed_by_its_first_max_indexed_chars_characters():
    text = text_of({"text": "东京大学" * MAX_INDEXED_CHARS})
    assert len(words(text).split()) == MAX_INDEXED_CHARS and len(text) <= 3 * MAX_INDEXED_CHARS


def test_text_without_chinese_or_japanese_is_unchanged():
    body = {"text": "Grüße, naïve café — 서울 1.5 ok_then", "generated": "x\ny"}
    assert text_of(body) == "Grüße, naïve café — 서울 1.5 ok_then\nx\ny"


CJK_NAMES = ("CJK UNIFIED IDEOGRAPH-", "CJK COMPATIBILITY IDEOGRAPH-", "HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA")


def test_every_han_hiragana_and_katakana_letter_is_paired_in_any_text_and_nothing_else():
    """Checked against the characters' names, in a text that is not ASCII (an em dash, an emoji), so that the
    quick test before the split is asked too. The Kana Supplement's archaic and small kana stay as they are."""
    for code in chain(range(0x3000, 0xD800), range(0xE000, 0x10000), range(0x20000, 0x32400)):
        letter = chr(code)
        if unicodedata.category(letter) == "Cn":  # unassigned in this Python's Unicode
            continue
        cjk = re.fullmatch(r"[^\W_]", letter) and (unicodedata.name(letter).startswith(CJK_NAMES) or letter in "々〆〇")
        text = f"x—{letter}{letter}😀"
        assert cjk_pairs(text) == (f"x— {letter}{letter} {letter} 😀" if cjk else text), hex(code)


# (query, the words asked of the index, as PostgreSQL's to_tsquery reads them)
QUERIES = {
    "东京": (["东京"], "'东京'"),
    "东京大学": (["东京", "京大", "大学"], "'东京' & '京大' & '大学'"),
    "京": (["京"], "'京':*"),  # a character alone begins the pairs it starts, or is the last of its run
    "GPT模型": (["GPT", "模型"], "'GPT':* & '模型'"),
    "refund 注文、東京東京": (["refund", "注文", "東京", "京東"], "'refund':* & '注文' & '東京' & '京東'"),
    "서울 ab": (["서울", "ab"], "'서울' & 'ab'"),
}


@pytest.mark.parametrize("query", QUERIES)
def test_the_users_words_are_split_as_the_index_splits_them(query):
    expected_words, expected_ts_query = QUERIES[query]
    assert query_words(query) == expected_words and ts_query(query) == expected_ts_query


def test_the_newest_reindexing_migration_holds_the_rule_text_of_has():
    """SQLite's index removes a row by the text it was indexed with: when `text_of` changes, this fails until a
    migration indexes the stored activities again with the new rule (and this test reads that migration)."""
    migration = ScriptDirectory.from_config(_config()).get_revision("0020_search_leaves_file_data").module
    cases = [(body, None) for body, _words in BODIES.values()] + [(body, e) for body, e, _words in ERRORS.values()]
    for body, error in cases:
        assert migration._text_of(body, error) == text_of(body, error)
