"""`PromptWatchLlmCache` as LangChain's global cache without a cache server: every lookup is a miss, the
model answers, `update` and `clear` never raise (hits are tested against the real server in
tests/integration/test_sdk_published_names.py)."""

from __future__ import annotations

from langchain_core.globals import set_llm_cache
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.outputs import Generation

from promptwatch import PromptWatchLlmCache


def test_without_a_key_the_global_cache_is_a_miss(sink):
    cache = PromptWatchLlmCache("faq")
    assert cache.lookup("q", "llm-a") is None
    cache.update("q", "llm-a", [Generation(text="a")])
    cache.clear()
    assert sink.requests == 0


def test_a_server_without_a_cache_lets_the_model_answer(sdk):
    set_llm_cache(PromptWatchLlmCache("faq"))
    try:
        llm = FakeListLLM(responses=["first", "second"])
        assert [llm.invoke("same question"), llm.invoke("same question")] == ["first", "second"]
    finally:
        set_llm_cache(None)
    assert sdk.requests >= 4  # a lookup and a store per call, each answered 404


def test_the_identity_tells_models_apart():
    assert PromptWatchLlmCache._identity("model a") != PromptWatchLlmCache._identity("model b")
