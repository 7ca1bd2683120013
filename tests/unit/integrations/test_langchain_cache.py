"""CachedLLM / CachedChatLLM without a cache server: the wrapped model answers, the call is recorded as a
miss, nothing raises (hits are tested against the real server in tests/integration)."""

from __future__ import annotations

import asyncio

from langchain_core.language_models.fake import FakeListLLM
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.prompts import PromptTemplate

import promptwatch
from promptwatch import CachedChatLLM, CachedLLM, PromptWatch


def test_wrappers_keep_the_published_signatures_and_call_through_without_a_key():
    llm = CachedLLM(FakeListLLM(responses=["a"]), "ns", None, 100, 0.9)
    assert (llm.cache_namespace_key, llm.token_limit, llm.similarity_limit) == ("ns", 100, 0.9)
    assert CachedLLM(inner_llm=FakeListLLM(responses=["b"])).invoke("q") == "b"
    assert llm.invoke("q") == "a" and llm.batch(["q1", "q2"]) == ["a", "a"]
    chat = CachedChatLLM(FakeListChatModel(responses=["c"]), cache_namespace_key="x")
    assert chat.invoke("hi").content == "c"
    assert asyncio.run(chat.ainvoke("hi")).content == "c"
    assert asyncio.run(llm.ainvoke("q")) == "a"


def test_a_server_without_a_cache_is_a_recorded_miss(sdk):
    chain = PromptTemplate.from_template("Q: {q}") | CachedLLM(FakeListLLM(responses=["A"]), cache_namespace_key="k")
    with PromptWatch(tracking_project="proj"):
        assert chain.invoke({"q": "x"}) == "A"
    promptwatch.flush(5)
    (call,) = sdk.of_type("llm-prompt")
    assert call["metadata"]["cache"] == {"hit": False, "namespace": "proj.k"}
    assert call["generated"] == "A"


def test_a_long_prompt_over_the_token_limit_skips_the_cache(sdk):
    llm = CachedLLM(FakeListLLM(responses=["A"]), token_limit=2)
    with PromptWatch():
        assert llm.invoke("a prompt far longer than eight characters") == "A"
    promptwatch.flush(5)
    (call,) = sdk.of_type("llm-prompt")
    assert "cache" not in (call.get("metadata") or {})
