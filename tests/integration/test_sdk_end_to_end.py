"""Issue 3's end to end: the SDK, LangChain and the OpenAI client report complete sessions to the real
server; with the server stopped in the middle of a run, every event arrives exactly once after restart; an
app that exits while the server hangs exits in time and a later process delivers all it recorded."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

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
    def calls(client, _openai) -> int:
        hello = [{"role": "user", "content": "hello there"}]
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=hello)
        streamed = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "stream me"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        "".join(chunk.choices[0].delta.content or "" for chunk in streamed if chunk.choices)
        assert reply.choices[0].message.content == "Echo: hello there"
        return 2

    stored = _openai_session(live_server, sdk_to, calls)
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


def _openai_session(live_server, sdk_to, calls):
    """Runs `calls(client)` against the fake provider inside a session; the stored session."""
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
            count = calls(client, openai)
        assert promptwatch.flush(10)
        with live_server.client(tenant.api_key) as api:
            return stored_session(api, session_id, count)
    finally:
        fake.stop()


_LOOKUP = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
_LOOKUP_CALL = '[{"id":"call_fake_1","name":"lookup","arguments":"{\\"query\\": \\"weather?\\"}"}]'


def test_openai_tool_calls_are_the_output_and_stay_on_the_next_prompt(live_server, sdk_to):
    def calls(client, openai):
        question = {"role": "user", "content": "weather?"}
        asked = client.chat.completions.create(model="gpt-4o-mini", messages=[question], tools=_LOOKUP)
        call = asked.choices[0].message
        assert call.tool_calls[0].function.name == "lookup"
        result = {"role": "tool", "tool_call_id": call.tool_calls[0].id, "content": "sunny"}
        client.chat.completions.create(model="gpt-4o-mini", messages=[question, call, result], tools=_LOOKUP)
        streamed = client.chat.completions.create(
            model="gpt-4o-mini", messages=[question], tools=_LOOKUP, stream=True, stream_options={"include_usage": True}
        )
        assert [c for c in streamed if c.choices and c.choices[0].delta.tool_calls]
        return 3

    stored = _openai_session(live_server, sdk_to, calls)
    first, answered, streamed = sorted(
        (a for a in stored["activities"] if a["activity_type"] == "llm-prompt"), key=lambda a: a["start_time"]
    )
    assert first["generated"] == _LOOKUP_CALL and streamed["generated"] == _LOOKUP_CALL
    assert answered["generated"] == "Echo: sunny"
    assistant, tool = answered["prompt"][1:]
    assert assistant["role"] == "assistant" and assistant["tool_calls"] == [
        {"id": "call_fake_1", "type": "function", "function": {"name": "lookup", "arguments": '{"query": "weather?"}'}}
    ]
    assert tool == {"role": "tool", "text": "sunny", "tool_call_id": "call_fake_1"}
    assert streamed["ttft_ms"] is not None


def test_openai_model_is_the_requested_one_whether_the_call_fails_or_not(live_server, sdk_to):
    def calls(client, openai):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "FAIL"}])
        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        list(stream)
        return 3

    stored = _openai_session(live_server, sdk_to, calls)
    ok, failed, streamed = sorted(
        (a for a in stored["activities"] if a["activity_type"] == "llm-prompt"), key=lambda a: a["start_time"]
    )
    assert {ok["model"], failed["model"], streamed["model"]} == {"gpt-4o-mini"}
    assert failed["error"] and not ok.get("error")
    assert ok["metadata"]["response_model"] == streamed["metadata"]["response_model"] == "gpt-4o-mini-0001"
    assert streamed["settings"] == {"stream": True, "stream_options": {"include_usage": True}}
    assert ok["cost"] and ok["cost"] > 0


class HangingProxy:
    """A port that accepts connections and never answers (a hung server or proxy) until `forward_to()`,
    from when on it relays new connections to a real server."""

    def __init__(self):
        self.listening = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listening.getsockname()[1]}"
        self.target: tuple[str, int] | None = None
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def forward_to(self, base_url: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.target = (host, int(port))

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listening.accept()
            except OSError:
                return
            if self.target is None:
                self.held.append(client)  # read nothing, answer nothing
                continue
            upstream = socket.create_connection(self.target)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        """One direction of a connection; whichever direction ends first closes both, ending the other."""
        with source, sink, contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)

    def close(self) -> None:
        self.listening.close()
        for held in self.held:
            held.close()


APP = textwrap.dedent(
    """
    import sys, time, promptwatch
    from promptwatch import PromptWatch
    key, url, spool, prefix, sessions = sys.argv[1:6]
    promptwatch.configure(api_key=key, host_url=url, spool_dir=spool)
    for i in range(int(sessions)):
        with PromptWatch(session_id=f"{prefix}-{i}", tracking_project="exit"):
            PromptWatch.log_user_question(f"question {i}")
    if prefix == "later":
        promptwatch.flush(10)
    print(time.time(), flush=True)
    """
)


def test_an_app_exiting_while_the_server_hangs_exits_in_time_and_a_later_process_delivers_it(live_server, tmp_path):
    tenant = live_server.new_tenant("exit")
    proxy = HangingProxy()
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
        "PROMPTWATCH_SHUTDOWN_TIMEOUT": "2",
    }
    run = [sys.executable, "-c", APP, tenant.api_key, proxy.url, str(tmp_path / "spool")]
    prefix = uid("exit-")
    try:
        app = subprocess.run([*run, prefix, "300"], env=env, capture_output=True, text=True, timeout=30)
        exited = time.time()
        assert app.returncode == 0, app.stderr
        assert exited - float(app.stdout) < 2 + 1.0  # the shutdown timeout, and the interpreter's own exit
        assert f"PromptWatch server at {proxy.url}" in app.stderr and "spooling events to" in app.stderr
        assert "lost" not in app.stderr
        proxy.forward_to(live_server.base_url)
        later = subprocess.run([*run, "later", "1"], env=env, capture_output=True, text=True, timeout=30)
        assert later.returncode == 0, later.stderr
    finally:
        proxy.close()
    with live_server.client(tenant.api_key) as client:
        stored = {
            session_id: stored_session(client, session_id, 1) for session_id in [f"{prefix}-{i}" for i in range(300)]
        }
    assert all(session["activities"][0]["text"] == f"question {i}" for i, session in enumerate(stored.values()))
