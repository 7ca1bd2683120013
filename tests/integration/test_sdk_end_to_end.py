"""Issue 3's end to end: the SDK, LangChain and the OpenAI client report complete sessions to the real
server; with the server stopped in the middle of a run, every event arrives exactly once after restart."""

from __future__ import annotations

import time

import pytest

import promptwatch
from promptwatch import PromptWatch, observe
from tests.support.payloads import uid
from tests.support.stored_sessions import stored_session


def test_observe_and_manual_logging_build_the_tree(live_server, sdk_to):
    tenant = live_server.new_tenant("sdk")
    sdk_to(live_server, tenant.api_key)

    @observe
    def retrieve(query: str) -> list[str]:
        return [f"doc about {query}"]

    @observe(name="answer-step")
    def answer(query: str) -> str:
        return "It is sunny. " + retrieve(query)[0]

    session_id = uid("sdk-")
    with PromptWatch(session_id=session_id, tracking_project="sdk-e2e", tracking_tenant="acme"):
        PromptWatch.log_user_question("weather in Prague?")
        answer("Prague")
        PromptWatch.log_assistant_answer("sunny", feedback_rating=5)
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        stored = stored_session(client, session_id, 4)
    assert stored["tracking_project"] == "sdk-e2e" and stored["tracking_tenant"] == "acme"
    by_name = {(a.get("name") or a["activity_type"]).rsplit(".", 1)[-1]: a for a in stored["activities"]}
    assert by_name["retrieve"]["parent_activity_id"] == by_name["answer-step"]["id"]
    assert {"question", "answer"} <= {a["activity_type"] for a in stored["activities"]}


def test_langchain_chain_reports_prompt_output_and_tokens(live_server, sdk_to):
    pytest.importorskip("langchain_core")
    from langchain_core.language_models.fake import FakeListLLM
    from langchain_core.prompts import PromptTemplate

    tenant = live_server.new_tenant("lc")
    sdk_to(live_server, tenant.api_key)
    chain = PromptTemplate.from_template("Finish this sentence: {input}") | FakeListLLM(responses=["the lazy dog."])
    session_id = uid("lc-")
    with PromptWatch(session_id=session_id, tracking_project="lc-e2e"):
        assert chain.invoke({"input": "The quick brown fox"}) == "the lazy dog."
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        stored = stored_session(client, session_id, 2)
    llm_calls = [a for a in stored["activities"] if a["activity_type"] == "llm-prompt"]
    assert len(llm_calls) == 1
    call = llm_calls[0]
    assert "The quick brown fox" in str(call["prompt"]) and call["generated"] == "the lazy dog."
    assert call["usage"]["total_tokens"] > 0
    assert call["parent_activity_id"] in {a["id"] for a in stored["activities"]}


def test_openai_client_calls_are_sessions_with_tokens_and_cost(live_server, sdk_to):
    openai = pytest.importorskip("openai")
    from promptwatch.integrations.openai import instrument_openai
    from tests.support.fake_openai import FakeOpenAI

    fake = FakeOpenAI().start()
    try:
        tenant = live_server.new_tenant("openai")
        sdk_to(live_server, tenant.api_key)
        client = instrument_openai(openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0))
        session_id = uid("oai-")
        with PromptWatch(session_id=session_id, tracking_project="openai-e2e"):
            reply = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hello there"}]
            )
            streamed = client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": "stream me"}],
                stream=True,
                stream_options={"include_usage": True},
            )
            "".join(chunk.choices[0].delta.content or "" for chunk in streamed if chunk.choices)
        assert reply.choices[0].message.content == "Echo: hello there"
        assert promptwatch.flush(10)
        with live_server.client(tenant.api_key) as api:
            stored = stored_session(api, session_id, 2)
    finally:
        fake.stop()
    calls = [a for a in stored["activities"] if a["activity_type"] == "llm-prompt"]
    assert {c["generated"] for c in calls} == {"Echo: hello there", "Echo: stream me"}
    assert all(c["usage"]["total_tokens"] > 0 and c["model"].startswith("gpt-4o-mini") for c in calls)
    assert any(c["ttft_ms"] is not None for c in calls)
    assert stored["total_tokens"] == sum(c["usage"]["total_tokens"] for c in calls)


def test_server_stopped_mid_run_every_event_arrives_exactly_once(fresh_server, sdk_to):
    server = fresh_server().start()
    key = server.first.api_key
    sdk_to(server, key)

    @observe
    def step(i: int) -> int:
        return i

    session_id = uid("outage-")
    with PromptWatch(session_id=session_id, tracking_project="outage"):
        for i in range(20):
            step(i)
        promptwatch.flush(5)
        server.stop()
        for i in range(20, 50):
            step(i)
        promptwatch.flush(3)  # goes to the spool: the server is down
        server.start()
        for i in range(50, 60):
            step(i)
    assert promptwatch.flush(15)
    with server.client(key) as client:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            stored = client.get(f"/api/v1/sessions/{session_id}").json()
            if len(stored.get("activities", [])) >= 60:
                break
            promptwatch.flush(1)
            time.sleep(0.2)
    ids = [a["id"] for a in stored["activities"]]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert stored["activity_count"] == 60
