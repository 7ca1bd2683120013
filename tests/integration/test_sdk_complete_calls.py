"""The OpenAI client and LangChain, instrumented, against the real server and the local fake provider: a reply
with text and tool calls is stored with both and found by its calls, a Responses API conversation is stored
with its tool calls and their outputs, and a call with an image is stored with it, replays with it, and its
image data is not searched."""

from __future__ import annotations

import json

import openai
import pytest

import promptwatch
from promptwatch import PromptWatch
from promptwatch.integrations.openai import instrument_openai
from tests.integration.test_replay import replay_server  # noqa: F401 - the fixture
from tests.support.fake_openai import NARRATION, FakeOpenAI, fake_openai  # noqa: F401 - the fixture
from tests.support.payloads import uid
from tests.support.stored_sessions import stored_session

FORECAST = [{"type": "function", "function": {"name": "forecast_lookup", "parameters": {"type": "object"}}}]
PIXELS = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg"
IMAGE = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXELS}"}}


def _llm_calls(server, key: str, session_id: str, count: int) -> list[dict]:
    assert promptwatch.flush(10)
    with server.client(key) as client:
        stored = stored_session(client, session_id, count)
    return sorted(
        (a for a in stored["activities"] if a["activity_type"] == "llm-prompt"), key=lambda a: a["start_time"]
    )


def _found(server, key: str, words: str) -> set[str]:
    with server.client(key) as client:
        return {item["id"] for item in client.get("/api/v1/sessions", params={"q": words}).json()["items"]}


def test_openai_calls_are_stored_whole_and_a_call_with_an_image_replays_with_it(
    replay_server,  # noqa: F811
    sdk_to,
    fake_openai: FakeOpenAI,  # noqa: F811
):
    tenant = replay_server.new_tenant("complete")
    sdk_to(replay_server, tenant.api_key)
    client = instrument_openai(openai.OpenAI(api_key="sk-test", base_url=fake_openai.base_url, max_retries=0))
    sid = uid("calls-")
    with PromptWatch(session_id=sid):
        question = {"role": "user", "content": "NARRATE the weather in Prague?"}
        narrated = client.chat.completions.create(model="gpt-4o-mini", messages=[question], tools=FORECAST)
        call = narrated.choices[0].message.tool_calls[0]
        client.responses.create(
            model="gpt-4o-mini",
            input=[
                {"role": "user", "content": "weather?"},
                {"type": "function_call", "call_id": call.id, "name": "forecast_lookup", "arguments": "{}"},
                {"type": "function_call_output", "call_id": call.id, "output": "sunny"},
            ],
        )
        image_question = [{"type": "text", "text": "What is in this picture?"}, IMAGE]
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": image_question}])
    narrated_call, responses_call, image_call = _llm_calls(replay_server, tenant.api_key, sid, 3)
    assert narrated_call["generated"] == NARRATION
    arguments = json.dumps({"query": question["content"]})
    assert narrated_call["outputs"] == {
        "tool_calls": [{"id": call.id, "name": "forecast_lookup", "arguments": arguments}]
    }
    assert responses_call["prompt"][1:] == [
        {
            "role": "assistant",
            "text": "",
            "tool_calls": [
                {"id": call.id, "type": "function", "function": {"name": "forecast_lookup", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "text": "sunny", "tool_call_id": call.id},
    ]
    assert responses_call["generated"] == "Echo: sunny"
    assert image_call["prompt"] == [{"role": "user", "text": "What is in this picture?", "content": [IMAGE]}]
    assert sid in _found(replay_server, tenant.api_key, "forecast_lookup")  # in the tool calls only
    assert sid in _found(replay_server, tenant.api_key, "picture")
    assert sid not in _found(replay_server, tenant.api_key, PIXELS)

    use_fake_provider_of(replay_server, tenant, fake_openai)
    with replay_server.client(tenant.api_key) as api:
        replayed = api.post(f"/api/v1/activities/{image_call['id']}/replay", json={})
    assert replayed.status_code == 200, replayed.text
    assert fake_openai.requests[-1]["messages"] == [{"role": "user", "content": image_question}]


def use_fake_provider_of(server, tenant, fake: FakeOpenAI) -> None:
    """Configure the fake provider for a tenant of the server (its admin key)."""
    admin = server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with server.client(admin) as client:
        assert client.put("/api/v1/providers/default", json={"base_url": fake.base_url}).status_code == 200


def test_langchain_reply_with_text_and_tool_calls_is_stored_with_both(
    replay_server,  # noqa: F811
    sdk_to,
    fake_openai: FakeOpenAI,  # noqa: F811
):
    pytest.importorskip("langchain_openai")
    from langchain_core.messages import HumanMessage
    from langchain_openai import ChatOpenAI

    def forecast_lookup(query: str) -> str:
        """Looks the weather up."""
        return "sunny"

    tenant = replay_server.new_tenant("complete-lc")
    sdk_to(replay_server, tenant.api_key)
    model = ChatOpenAI(model="gpt-4o-mini", api_key="sk-test", base_url=fake_openai.base_url, max_retries=0)
    sid = uid("lc-calls-")
    with PromptWatch(session_id=sid):
        model.bind_tools([forecast_lookup]).invoke("NARRATE the weather?")
        model.invoke([HumanMessage(content=[{"type": "text", "text": "What is this?"}, IMAGE])])
    narrated, image_call = _llm_calls(replay_server, tenant.api_key, sid, 2)
    assert narrated["generated"] == NARRATION
    arguments = json.dumps({"query": "NARRATE the weather?"})
    assert narrated["outputs"] == {
        "tool_calls": [{"id": "call_fake_1", "name": "forecast_lookup", "arguments": arguments}]
    }
    assert image_call["prompt"] == [{"role": "user", "text": "What is this?", "content": [IMAGE]}]
    assert sid in _found(replay_server, tenant.api_key, "forecast_lookup")
