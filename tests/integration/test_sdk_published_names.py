"""The published client's names against the real server: `Client` reads sessions back and clears the
cache, `PromptWatchLlmCache` serves LangChain's global cache (the published `update` bug fixed), and
`test.langchain.get_test_memory()` feeds a unit test's cases their recorded history."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")

from langchain_core.globals import set_llm_cache  # noqa: E402
from langchain_core.language_models.fake_chat_models import FakeListChatModel  # noqa: E402
from langchain_core.load import dumps  # noqa: E402
from langchain_core.messages import AIMessage  # noqa: E402
from langchain_core.prompts import PromptTemplate  # noqa: E402

import promptwatch  # noqa: E402
import promptwatch.sdk.cache  # noqa: E402
from promptwatch import Client, PromptWatch, PromptWatchError, PromptWatchLlmCache  # noqa: E402
from promptwatch.unit_tests import TestCase, UnitTest  # noqa: E402
from tests.integration.test_sdk_prompt_loop import CountingChat, CountingLLM, poll  # noqa: E402
from tests.support.payloads import uid  # noqa: E402


def test_client_reads_sessions_and_clears_the_cache(live_server, sdk_to):
    tenant = live_server.new_tenant("client")
    sdk_to(live_server, tenant.api_key)
    session_id = uid("client-")
    with PromptWatch(session_id=session_id, tracking_project="reader"):
        PromptWatch.log_user_question("Where is my parcel?")
    assert promptwatch.flush(10)
    client = Client()
    stored = poll(lambda: client.restore_session(session_id), lambda found: found is not None)
    assert stored.id == session_id and stored.tracking_project == "reader"
    assert client.get_session(session_id).id == session_id
    assert client.restore_session(uid("unknown-")) is None
    with pytest.raises(PromptWatchError, match="404"):
        client.get_session(uid("unknown-"))
    namespace = f"reader.{uid()}"
    assert client.add_into_cache(namespace, [1.0, 0.0, 0.5], "Tomorrow.", uid())
    hit = client.get_cached_prompt(namespace, [1.0, 0.0, 0.5])
    assert hit is not None and hit.result == "Tomorrow."
    assert client.clear_cache(namespace)
    assert client.get_cached_prompt(namespace, [1.0, 0.0, 0.5]) is None
    assert Client(api_key="not-a-key").restore_session(session_id) is None  # another key reads nothing


def test_the_global_llm_cache_stores_serves_and_clears(live_server, sdk_to):
    tenant = live_server.new_tenant("global-cache")
    sdk_to(live_server, tenant.api_key)
    key = uid("g")
    chat = CountingChat(responses=["We open at 9.", "We open at 10."])
    set_llm_cache(PromptWatchLlmCache(key))
    try:
        with PromptWatch(tracking_project="shop"):
            first = chat.invoke("When do you open?")
            again = chat.invoke("When do you open?")
            assert chat.calls == 1 and isinstance(again, AIMessage) and again.content == first.content
            other = CountingLLM(responses=["Nine o'clock."])  # another model is never served the chat's answer
            assert other.invoke("When do you open?") == "Nine o'clock." and other.calls == 1
            PromptWatchLlmCache(key).clear()
            assert chat.invoke("When do you open?").content == "We open at 10." and chat.calls == 2
    finally:
        set_llm_cache(None)


def test_the_global_llm_cache_never_builds_a_class_it_does_not_allow(live_server, sdk_to):
    """An entry that serializes a model or client (anything but generations and messages) is a miss, not
    an answer made of its JSON."""
    tenant = live_server.new_tenant("global-cache-guard")
    sdk_to(live_server, tenant.api_key)
    key, llm_string = uid("g"), "fake model"
    namespace = promptwatch.sdk.cache.namespace_for(key)
    identity = PromptWatchLlmCache._identity(llm_string)
    for prompt, stored in (
        ("Which model?", FakeListChatModel(responses=["ok"])),  # a class with no serialization
        ("Which template?", PromptTemplate.from_template("Say {x}")),  # serializable, but not a generation
    ):
        assert promptwatch.sdk.cache.store(prompt, dumps(stored), namespace=namespace, template_identity=identity)
    plain = "Plain text stored by another client."
    assert promptwatch.sdk.cache.store("Plain?", plain, namespace=namespace, template_identity=identity)
    cache = PromptWatchLlmCache(key)
    assert cache.lookup("Which model?", llm_string) is None
    assert cache.lookup("Which template?", llm_string) is None
    assert [g.text for g in cache.lookup("Plain?", llm_string)] == [plain]


def test_a_unit_test_feeds_each_case_its_recorded_history(live_server, sdk_to):
    tenant = live_server.new_tenant("memory")
    sdk_to(live_server, tenant.api_key)
    model = FakeListChatModel(responses=["Ada", "tea"])
    cases = [
        TestCase(
            inputs={"question": "My name?", "history": "Human: I am Ada\nAI: Hi Ada"},
            outputs=[{"label": 1, "value": "Ada"}],
        ),
        TestCase(
            inputs={"question": "My drink?", "history": [{"role": "user", "content": "I like tea"}]},
            outputs=[{"label": 1, "value": "tea"}],
        ),
    ]
    seen = []
    name = f"memory {uid()}"
    with UnitTest(name, verbose=False).for_test_cases(cases) as test:
        memory = test.langchain.get_test_memory(memory_key="history")
        for case in test.test_cases():
            seen.append(memory.load_memory_variables({})["history"])
            case.evaluate(lambda inputs: model.invoke(memory.messages + [("human", inputs["question"])]).content)
    assert seen == ["Human: I am Ada\nAI: Hi Ada", "Human: I like tea"]
    with live_server.client(tenant.api_key) as client:
        (run,) = client.get("/api/v1/tests/runs", params={"test_name": name}).json()["items"]
    assert run["passed"] == 2
