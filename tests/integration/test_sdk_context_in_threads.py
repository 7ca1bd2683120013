"""Instrumented OpenAI calls made in other threads or asyncio tasks, against the real server and the local fake
provider: run through `promptwatch.in_context()` or a `ContextThreadPoolExecutor`, a session's calls stay in
it, under the span that handed them out; through a plain executor each is a session of its own, as documented;
`asyncio.gather` of async calls keeps them in the session by itself (tasks copy the context)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

import promptwatch
from promptwatch import ContextThreadPoolExecutor, PromptWatch, in_context, span
from promptwatch.integrations.openai import instrument_openai
from tests.support.fake_openai import FakeOpenAI, fake_openai  # noqa: F401 - the fixture
from tests.support.payloads import uid
from tests.support.stored_sessions import stored_session

QUESTIONS = [f"question {number}?" for number in range(4)]


def _client(fake: FakeOpenAI, cls=openai.OpenAI):
    return instrument_openai(cls(api_key="sk-test", base_url=fake.base_url, max_retries=0))


def _sessions(server, key: str) -> list[dict]:
    with server.client(key) as client:
        return client.get("/api/v1/sessions").json()["items"]


def _asked_in_threads(carried_by: str, ask) -> list[str]:
    if carried_by == "ContextThreadPoolExecutor":
        with ContextThreadPoolExecutor(4) as pool:
            return list(pool.map(ask, QUESTIONS))
    with ThreadPoolExecutor(4) as pool:
        if carried_by == "in_context":  # one wrapped function, run in four threads at once
            return list(pool.map(in_context(ask), QUESTIONS))
        return [future.result() for future in [pool.submit(in_context(ask), q) for q in QUESTIONS]]


@pytest.mark.parametrize("carried_by", ["in_context", "ContextThreadPoolExecutor", "in_context per thread"])
def test_calls_in_executor_threads_stay_in_the_session_under_the_span_that_handed_them_out(
    live_server,
    sdk_to,
    fake_openai: FakeOpenAI,  # noqa: F811
    carried_by,
):
    tenant = live_server.new_tenant("threads")
    sdk_to(live_server, tenant.api_key)
    client = _client(fake_openai)
    sid = uid("parallel-")

    def ask(question: str) -> str:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
        return reply.choices[0].message.content

    with PromptWatch(tracking_project="edge", tracking_tenant="acme", session_id=sid), span("fan-out") as fan_out:
        answers = _asked_in_threads(carried_by, ask)
    assert answers == [f"Echo: {question}" for question in QUESTIONS]
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as api:
        stored = stored_session(api, sid, 5)
    assert (stored["tracking_project"], stored["tracking_tenant"]) == ("edge", "acme")
    calls = [a for a in stored["activities"] if a["activity_type"] == "llm-prompt"]
    assert sorted(call["prompt"][0]["text"] for call in calls) == QUESTIONS
    assert {call["parent_activity_id"] for call in calls} == {fan_out.id}
    assert sorted(a["order"] for a in stored["activities"]) == [1, 2, 3, 4, 5]
    assert [item["id"] for item in _sessions(live_server, tenant.api_key)] == [sid]


def test_without_carrying_the_context_each_threaded_call_is_a_session_of_its_own(
    live_server,
    sdk_to,
    fake_openai: FakeOpenAI,  # noqa: F811
):
    """What the SDK does with a call that finds no open context in its thread, as docs/sdk.md says: it never
    guesses which of the process's open sessions the call belongs to."""
    tenant = live_server.new_tenant("threads-plain")
    sdk_to(live_server, tenant.api_key)
    client = _client(fake_openai)
    sid = uid("parallel-")

    def ask(question: str) -> None:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])

    with PromptWatch(tracking_project="edge", session_id=sid), ThreadPoolExecutor(4) as pool:
        list(pool.map(ask, QUESTIONS))
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as api:
        for _ in range(100):
            items = api.get("/api/v1/sessions").json()["items"]
            if len(items) == 4:
                break
        assert api.get(f"/api/v1/sessions/{sid}").status_code == 404  # it recorded nothing
    assert len(items) == 4
    for item in items:
        assert item["session_name"] == "openai.chat.completions"
        assert (item["tracking_project"], item["tracking_tenant"], item["llm_calls"]) == (None, None, 1)


def test_asyncio_gather_of_async_calls_stays_in_the_session(
    live_server,
    sdk_to,
    fake_openai: FakeOpenAI,  # noqa: F811
):
    tenant = live_server.new_tenant("tasks")
    sdk_to(live_server, tenant.api_key)
    client = _client(fake_openai, openai.AsyncOpenAI)
    sid = uid("gathered-")

    async def ask(question: str) -> str:
        reply = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
        )
        return reply.choices[0].message.content

    async def main() -> list[str]:
        async with PromptWatch(tracking_project="edge", session_id=sid):
            return await asyncio.gather(*(ask(question) for question in QUESTIONS))

    assert asyncio.run(main()) == [f"Echo: {question}" for question in QUESTIONS]
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as api:
        stored = stored_session(api, sid, 4)
    assert stored["tracking_project"] == "edge"
    assert sorted(a["prompt"][0]["text"] for a in stored["activities"]) == QUESTIONS
    assert [item["id"] for item in _sessions(live_server, tenant.api_key)] == [sid]
