"""The unmodified published `promptwatch` 0.4.6 client, with LangChain 0.1 fake LLMs, against the real server.

Each scenario of scenarios.py runs in the client's own virtualenv (scripts/legacy_venv.sh) as a subprocess
pointed at `live_server` through PROMPTWATCH_HOST_URL / PROMPTWATCH_API_KEY. The scenario reports what the
client sent (every request, every copy of every activity); the tests then read the sessions back through our
native API and compare: the tree, the closed versions of re-sent open activities, no duplicates, the prompt
and generated text, templates, non-ASCII text, errors, feedback, temp-key sessions and the client's read-back.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.legacy_client, pytest.mark.timeout(1800)]

SCENARIOS = Path(__file__).with_name("scenarios.py")
RESULT_MARK = "SCENARIO-RESULT "
NON_ASCII = "naïve café ✓"
CLIENT_TIMEOUT = 5  # seconds: the published client gives up after this and never retries


@dataclass
class Run:
    """One scenario run: what the client reported, or why it could not run."""

    name: str
    api_key: str
    project: str | None
    tenant: str | None
    result: dict | None = None
    failure: str | None = None
    temp: dict | None = None  # the POST /api/v1/temp-keys answer (scenario H)

    @property
    def session_id(self) -> str:
        return self.result["session_ids"][0]

    def copies(self, activity_id: str | None = None) -> list[dict]:
        """Every activity copy the client POSTed, in sending order."""
        return [
            copy
            for request in self.result["requests"]
            if request["path"].endswith("/activities")
            for copy in request["body"]
            if activity_id is None or copy["id"] == activity_id
        ]

    def final_copies(self) -> dict[str, dict]:
        final: dict[str, dict] = {}
        for copy in self.copies():
            final[copy["id"]] = copy
        return final

    def sent(self, path: str) -> list[dict]:
        return [r["body"] for r in self.result["requests"] if r["path"] == path]


def run_scenario(python: str, base_url: str, run: Run, *extra: str) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMPTWATCH_", "LANGCHAIN_", "PYTHON"))}
    env.update(PROMPTWATCH_HOST_URL=base_url, PROMPTWATCH_API_KEY=run.api_key, PYTHONIOENCODING="utf-8")
    command = [python, str(SCENARIOS), run.name, *extra]
    for flag, value in (("--project", run.project), ("--tenant", run.tenant)):
        if value:
            command += [flag, value]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as exc:
        run.failure = f"scenario {run.name} timed out:\n{exc.stderr}"
        return run
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        run.failure = f"scenario {run.name} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    else:
        run.result = json.loads(lines[-1].removeprefix(RESULT_MARK))
    return run


@pytest.fixture(scope="session")
def runs(live_server, legacy_python) -> dict[str, Run]:
    """All scenarios, run once per backend, four at a time."""
    tag = uuid.uuid4().hex[:8]
    key = live_server.first.api_key
    plans = {
        name: Run(name, key, f"legacy-{name.replace('_', '-')}-{tag}", "customer-1")
        for name in ("chain", "agent", "chat", "manual", "llm_error", "read_back", "reuse")
    }
    temp = httpx.post(f"{live_server.base_url}/api/v1/temp-keys", timeout=30)
    plans["temp_key"] = Run("temp_key", "", f"legacy-temp-{tag}", None)
    if temp.status_code == 200:
        plans["temp_key"].api_key = temp.json()["api_key"]
        plans["temp_key"].temp = temp.json()
    else:
        plans["temp_key"].failure = f"POST /api/v1/temp-keys answered {temp.status_code}: {temp.text}"
    tracebacks = live_server.log_text().count("Traceback")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            name: pool.submit(run_scenario, legacy_python, live_server.base_url, run)
            for name, run in plans.items()
            if run.failure is None
        }
    for name, future in futures.items():
        if future.exception() is not None:
            plans[name].failure = f"scenario {name} could not be run: {future.exception()!r}"
    log = live_server.log_text()
    if log.count("Traceback") > tracebacks:
        for run in plans.values():
            run.failure = run.failure or f"the server logged an exception during the scenarios:\n{log[-6000:]}"
    return plans


def scenario(runs: dict[str, Run], name: str) -> Run:
    run = runs[name]
    if run.failure:
        pytest.fail(run.failure, pytrace=False)
    return run


def read_session(live_server, session_id: str, key: str | None = None) -> dict:
    with live_server.client(key or live_server.first.api_key) as client:
        response = client.get(f"/api/v1/sessions/{session_id}")
    assert response.status_code == 200, response.text
    return response.json()


def list_ids(live_server, **params) -> list[str]:
    with live_server.client(live_server.first.api_key) as client:
        response = client.get("/api/v1/sessions", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def by_type(stored: dict, activity_type: str) -> list[dict]:
    return sorted((a for a in stored["activities"] if a["activity_type"] == activity_type), key=lambda a: a["order"])


def depth(activity: dict, by_id: dict[str, dict]) -> int:
    parent = activity["parent_activity_id"]
    return 0 if parent is None else 1 + depth(by_id[parent], by_id)


def check_traffic(run: Run, allowed: set[tuple[str, int]] = frozenset()) -> None:
    """The client logged no send error, every answer was a success within its 5 s, every body was ASCII."""
    assert run.result["client_errors"] == []
    for request in run.result["requests"]:
        assert "exception" not in request, request
        assert request["status"] <= 300 or (request["method"], request["status"]) in allowed, request
        assert request["seconds"] < CLIENT_TIMEOUT, request
        assert request.get("raw_is_ascii", True), f"non-ASCII body: {request['path']}"


def check_stored_as_sent(run: Run, stored: dict) -> None:
    """One stored activity per id the client sent, each the latest (closed) copy, same tree and order."""
    final = run.final_copies()
    ids = [a["id"] for a in stored["activities"]]
    assert len(ids) == len(set(ids)) == len(final), (ids, list(final))
    assert set(ids) == set(final)
    for activity in stored["activities"]:
        sent = final[activity["id"]]
        for name in ("activity_type", "parent_activity_id", "order", "error"):
            assert activity[name] == sent[name], (name, activity, sent)
        if sent["end_time"] is None:
            assert activity["end_time"] is None
        else:
            assert moment(activity["end_time"]) == moment(sent["end_time"])
    by_id = {a["id"]: a for a in stored["activities"]}
    for seen in run.result["activities"]:  # what add_on_activity_callback reported
        assert seen["closed"] and by_id[seen["id"]]["end_time"] is not None
        assert by_id[seen["id"]]["parent_activity_id"] == seen["parent_activity_id"]
        assert by_id[seen["id"]]["order"] == seen["order"]


def check_session(run: Run, stored: dict, session_name: str) -> None:
    finished = run.sent("/sessions/finish")[-1]
    assert stored["id"] == run.session_id == finished["id"]
    assert stored["tracking_project"] == run.project
    assert stored["tracking_tenant"] == run.tenant
    assert stored["session_name"] == session_name
    assert moment(stored["end_time"]) == moment(finished["end_time"])
    assert moment(stored["start_time"]) == moment(run.sent("/sessions/start")[0]["start_time"])
    assert stored["steps_count"] == finished["steps_count"]
    assert stored["source"] == "legacy"


def test_llm_chain_open_chain_resent_then_closed(live_server, runs):
    """A: LLMChain + PromptTemplate; the chain goes out open with the closed prompt, then closed alone."""
    run = scenario(runs, "chain")
    check_traffic(run)
    stored = read_session(live_server, run.session_id)
    check_stored_as_sent(run, stored)
    check_session(run, stored, "The quick brown fox jumped over")
    assert [r["path"].rsplit("/", 1)[-1] for r in run.result["requests"]] == [
        "start",
        "activities",
        "activities",
        "finish",
    ]
    (chain,), (llm,) = by_type(stored, "chain-sequence"), by_type(stored, "llm-prompt")
    assert [c["end_time"] is None for c in run.copies(chain["id"])] == [True, False]
    assert chain["parent_activity_id"] is None and chain["order"] == 1
    assert chain["sequence_type"] == chain["name"] == "LLMChain"
    assert chain["inputs"] == {"input": "The quick brown fox jumped over"}
    assert chain["outputs"] == {"text": "the lazy dog."}
    assert "output_kwargs" in chain["metadata"]  # only the closed copy carries it
    assert llm["parent_activity_id"] == chain["id"] and llm["order"] == 2
    assert llm["prompt"] == "Finish this sentence: The quick brown fox jumped over"
    assert llm["generated"] == "the lazy dog."
    assert llm["prompt_template"] == {
        "prompt_template": "Finish this sentence: {input}",
        "prompt_input_params": ["input"],
        "format": "f-string",
    }
    assert llm["prompt_input_values"] == {"input": "The quick brown fox jumped over"}
    assert llm["metadata"]["id"] == ["langchain_community", "llms", "fake", "FakeListLLM"]
    assert llm["usage"]["counted"] and llm["usage"]["prompt_tokens"] > 0  # the fake LLM reports no usage
    assert stored["activity_count"] == 2 and stored["llm_calls"] == 1 and not stored["is_error"]
    assert list_ids(live_server, project=run.project, tenant=run.tenant) == [run.session_id]
    assert run.session_id in list_ids(live_server, project=run.project, q="lazy dog")


def test_agent_with_calculator_tool_builds_the_tree(live_server, runs):
    """B: AgentExecutor > LLMChain > llm-prompt, and the tool's action under the agent; the agent chain
    is re-sent open with every flush until it closes."""
    run = scenario(runs, "agent")
    check_traffic(run)
    stored = read_session(live_server, run.session_id)
    check_stored_as_sent(run, stored)
    check_session(run, stored, "What is 6 times 7?")
    by_id = {a["id"]: a for a in stored["activities"]}
    (question,) = by_type(stored, "question")
    assert question["parent_activity_id"] is None and question["text"] == "What is 6 times 7?"
    chains = by_type(stored, "chain-sequence")
    (agent,) = [c for c in chains if c["sequence_type"] == "AgentExecutor"]
    steps = [c for c in chains if c["sequence_type"] == "LLMChain"]
    assert agent["parent_activity_id"] is None
    assert agent["outputs"] == {"output": "42"} and agent["end_time"] is not None
    agent_copies = run.copies(agent["id"])
    assert len(agent_copies) >= 4 and [c["end_time"] is None for c in agent_copies[:-1]] == [True] * (
        len(agent_copies) - 1
    )
    assert len(steps) == 2 and all(c["parent_activity_id"] == agent["id"] for c in steps)
    prompts = by_type(stored, "llm-prompt")
    assert [p["parent_activity_id"] for p in prompts] == [c["id"] for c in steps]
    assert prompts[0]["generated"].endswith("Action: calculator\nAction Input: 6*7")
    assert prompts[1]["generated"].endswith("Final Answer: 42")
    assert "calculator" in prompts[0]["prompt"] and "What is 6 times 7?" in prompts[0]["prompt"]
    (action,) = by_type(stored, "action")
    assert action["parent_activity_id"] == agent["id"]
    assert (action["tool_type"], action["name"], action["input"], action["output"]) == (
        "calculator",
        "calculator",
        "6*7",
        "42",
    )
    assert steps[0]["order"] < action["order"] < steps[1]["order"]
    assert max(depth(a, by_id) for a in stored["activities"]) == 2
    assert not by_type(stored, "answer")  # WIRE_PROTOCOL §8.3: on_agent_finish fails on LangChain 0.1
    assert stored["llm_calls"] == 2


def test_chat_model_with_registered_template_and_non_ascii(live_server, runs):
    """C: chat messages, the registered template's name and version, history, `\\u` escapes decoded."""
    run = scenario(runs, "chat")
    check_traffic(run)  # includes: every body was ASCII on the wire
    stored = read_session(live_server, run.session_id)
    check_stored_as_sent(run, stored)
    check_session(run, stored, f"chat {NON_ASCII}")
    (chain,), (llm,) = by_type(stored, "chain-sequence"), by_type(stored, "llm-prompt")
    question = f"When do you open? {NON_ASCII}"
    history = [
        {"role": "user", "text": "Hi", "metadata": None},
        {"role": "assistant", "text": "Hello! How can I help?", "metadata": None},
    ]
    assert llm["parent_activity_id"] == chain["id"]
    assert llm["prompt"] == [
        {"role": "system", "text": "You are a helpful assistant for ACME.", "metadata": None},
        *history,
        {"role": "user", "text": question, "metadata": None},
    ]
    assert llm["generated"] == f"We open at 9am. {NON_ASCII}"
    # the light column holds the server's version of this content under the given major.minor (1.0.0, ...);
    # the body keeps what the client sent
    assert llm["template_name"] == "support_chat" and llm["template_version"].startswith("1.0")
    template = llm["prompt_template"]
    assert (template["template_name"], template["template_version"], template["format"]) == (
        "support_chat",
        "1.0",
        "chat_messages",
    )
    assert sorted(template["prompt_input_params"]) == ["company", "question"]
    assert template["prompt_template"][1] == "history"
    assert template["prompt_template"][0] == {
        "prompt_template": "You are a helpful assistant for {company}.",
        "prompt_input_params": ["company"],
        "format": "f-string",
        "role": "system",
    }
    assert llm["prompt_input_values"] == {"company": "ACME", "question": question, "history": history}
    assert chain["inputs"]["history"] == history and chain["inputs"]["question"] == question
    assert chain["outputs"] == {"text": f"We open at 9am. {NON_ASCII}"}
    assert run.session_id in list_ids(live_server, project=run.project, template="support_chat")
    assert run.session_id in list_ids(live_server, project=run.project, q="café")


def test_manual_logging_question_documents_logs_answer_feedback(live_server, runs):
    """F: log_user_question, RetrievedDocuments, log (one with an error), log_assistant_answer + feedback."""
    run = scenario(runs, "manual")
    check_traffic(run)
    stored = read_session(live_server, run.session_id)
    check_stored_as_sent(run, stored)
    check_session(run, stored, "How do I reset my password?")
    activities = sorted(stored["activities"], key=lambda a: a["order"])
    assert [a["activity_type"] for a in activities] == ["question", "retrieved-docs", "log", "log", "answer"]
    assert [a["order"] for a in activities] == [1, 2, 3, 4, 5]
    assert all(a["parent_activity_id"] is None and a["end_time"] for a in activities)
    question, docs, log, failed, answer = activities
    assert (question["text"], question["metadata"]) == ("How do I reset my password?", {"channel": "web"})
    assert docs["documents"] == [
        {
            "id": "kb-1",
            "text": "To reset your password click 'Forgot password'.",
            "source": "kb/reset.md",
            "metadata": {"section": "auth"},
        },
        {"id": None, "text": "Passwords expire after 90 days.", "source": "kb/policy.md", "metadata": None},
    ]
    assert docs["scores"] == [0.91, 0.55]
    assert (log["text"], log["metadata"], log["error"]) == (
        f"looked up 2 KB articles {NON_ASCII}",
        {"latency_ms": 12},
        None,
    )
    assert (failed["text"], failed["error"]) == ("ticket system timeout", "TimeoutError: 5s")
    assert answer["text"] == "Click 'Forgot password' on the login page."
    assert (answer["feedback_label"], answer["feedback_rating"], answer["feedback_notes"]) == (1, 5, "user was happy")
    assert answer["metadata"] == {"model": "fake"}
    assert len(run.sent(f"/sessions/{run.session_id}/activities")) == 5  # each root-level log flushes at once


def test_llm_error_marks_prompt_chain_and_session(live_server, runs):
    """G: an LLM that raises: the prompt and its chain carry the error, the session is an error session."""
    run = scenario(runs, "llm_error")
    message = "model backend unavailable (simulated)"
    assert run.result["raised"] == message
    check_traffic(run)
    stored = read_session(live_server, run.session_id)
    check_stored_as_sent(run, stored)
    check_session(run, stored, "hello")
    assert run.sent("/sessions/finish")[-1]["is_error"] is True
    assert stored["is_error"] is True
    (chain,), (llm,) = by_type(stored, "chain-sequence"), by_type(stored, "llm-prompt")
    assert chain["error"] == llm["error"] == message
    assert chain["end_time"] and llm["end_time"] and llm["parent_activity_id"] == chain["id"]
    assert llm["prompt"] == "Say hello" and llm.get("generated") is None
    assert llm["metadata"]["error_kwargs"]["response"] == {"generations": [], "llm_output": None, "run": None}
    assert chain.get("outputs") is None
    assert run.session_id in list_ids(live_server, project=run.project, has_error="true")
    assert run.session_id not in list_ids(live_server, project=run.project, has_error="false")


def test_temp_key_session_id_is_the_keys_uuid(live_server, runs):
    """H: a `temp_` key forces the session id to its uuid; the session lives in the sandbox account only."""
    run = scenario(runs, "temp_key")
    check_traffic(run)
    assert run.session_id == run.temp["session_id"]
    stored = read_session(live_server, run.session_id, key=run.api_key)
    check_stored_as_sent(run, stored)
    assert stored["id"] == run.temp["session_id"]
    assert stored["tracking_project"] == run.project
    assert stored["session_name"] == "The quick brown fox jumped"
    (llm,) = by_type(stored, "llm-prompt")
    assert llm["generated"] == "over the temp key."
    assert all(
        r["path"].startswith(("/sessions/start", "/sessions/finish", f"/sessions/{run.session_id}/"))
        for r in run.result["requests"]
    )
    with live_server.client(live_server.first.api_key) as client:  # not in the key owner's own account
        assert client.get(f"/api/v1/sessions/{run.session_id}").status_code == 404


def test_client_reads_sessions_back(live_server, runs):
    """I: Client().get_session / restore_session give the stored session; an unknown id raises / is None."""
    run = scenario(runs, "read_back")
    check_traffic(run, allowed={("GET", 404)})
    stored = read_session(live_server, run.session_id)
    check_stored_as_sent(run, stored)
    check_session(run, stored, "Read me back")
    got, restored = run.result["get_session"], run.result["restore_session"]
    assert got == restored
    assert got["id"] == run.session_id
    for name in ("session_name", "steps_count", "tracking_project", "tracking_tenant", "is_error"):
        assert got[name] == stored[name], name
    assert moment(got["start_time"]) == moment(stored["start_time"])
    assert moment(got["end_time"]) == moment(stored["end_time"])
    assert "404" in run.result["unknown_get_error"]
    assert run.result["unknown_restored"] is None
    statuses = [(r["method"], r["path"], r["status"]) for r in run.result["requests"][-4:]]
    unknown = run.result["unknown_id"]
    assert statuses == [
        ("GET", f"/sessions/{run.session_id}", 200),
        ("POST", f"/sessions/{run.session_id}/restore", 200),
        ("GET", f"/sessions/{unknown}", 404),
        ("POST", f"/sessions/{unknown}/restore", 200),
    ]


def test_reused_session_id_restarts_steps_and_keeps_both_visits(live_server, runs):
    """I: PromptWatch(session_id=X) twice: /sessions/start again, orders restart at 1, nothing replaced."""
    run = scenario(runs, "reuse")
    check_traffic(run)
    stored = read_session(live_server, run.session_id)
    check_stored_as_sent(run, stored)
    starts = run.sent("/sessions/start")
    assert len(starts) == 2 and [s["steps_count"] for s in starts] == [2, 2]
    assert len(run.sent("/sessions/finish")) == 2  # the third, empty context sent nothing
    assert sorted(a["order"] for a in stored["activities"]) == [1, 1, 2, 2]
    assert stored["activity_count"] == 4 and stored["llm_calls"] == 2
    roots = by_type(stored, "chain-sequence")
    assert sorted(c["inputs"]["input"] for c in roots) == ["First visit", "Second visit"]
    assert all(c["parent_activity_id"] is None and c["outputs"] for c in roots)
    assert moment(stored["start_time"]) == moment(starts[0]["start_time"])  # the earliest start is kept
    assert moment(stored["end_time"]) == moment(run.sent("/sessions/finish")[-1]["end_time"])
    assert stored["tracking_project"] == run.project and stored["tracking_tenant"] == run.tenant
    assert run.result["get_session"]["id"] == run.session_id
    assert run.result["get_session"]["steps_count"] == 2
