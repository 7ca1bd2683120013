"""The SDK examples of README.md and docs/sdk.md run as written, in a fresh interpreter, against the real
server, and store what their text says they store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stored_sessions import stored_session, stored_session_ids

ROOT = Path(__file__).resolve().parents[2]


def example_after(page: str, heading: str) -> str:
    """The first ```python block after the line `heading` of `page`."""
    text = (ROOT / page).read_text()
    after = text[text.index(f"\n{heading}\n"):]
    start = after.index("```python\n") + len("```python\n")
    return after[start:after.index("\n```", start)]


def run_example(code: str, server, key: str, tmp_path: Path) -> str:
    env = {**os.environ, "PROMPTWATCH_HOST_URL": server.base_url, "PROMPTWATCH_API_KEY": key,
           "PROMPTWATCH_SPOOL_DIR": str(tmp_path / "spool")}
    env.pop("PROMPTWATCH_TRACKING_PROJECT", None)
    script = tmp_path / "example.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _roots(session: dict) -> list[str]:
    """The types of the session's top-level activities, in order."""
    ordered = sorted(session["activities"], key=lambda a: a["order"])
    return [a["activity_type"] for a in ordered if not a.get("parent_activity_id")]


def _of_type(session: dict, activity_type: str) -> list[dict]:
    return [a for a in session["activities"] if a["activity_type"] == activity_type]


@pytest.fixture
def tenant(live_server):
    pytest.importorskip("langchain_core")
    return live_server.new_tenant("docs")


def test_readme_send_data_example(live_server, tenant, tmp_path):
    run_example(example_after("README.md", "## Send data"), live_server, tenant.api_key, tmp_path)
    with live_server.client(tenant.api_key) as client:
        [session_id] = stored_session_ids(client, "support-bot")
        stored = stored_session(client, session_id, 5)
    assert stored["tracking_tenant"] == "acme"
    assert _roots(stored) == ["question", "span", "chain-sequence", "answer"]
    assert len(stored["activities"]) == 5  # the chain's prompt template and parser are no rows of their own
    assert [a["text"] for a in _of_type(stored, "answer")] == ["Open Settings, then API keys, and click Rotate."]
    assert len(_of_type(stored, "llm-prompt")) == 1


def test_sdk_docs_langchain_example(live_server, tenant, tmp_path):
    output = run_example(example_after("docs/sdk.md", "#### A complete LangChain example"), live_server,
                         tenant.api_key, tmp_path)
    with live_server.client(tenant.api_key) as client:
        session_ids = stored_session_ids(client, "acme-support")
        sessions = [stored_session(client, session_id, 4) for session_id in session_ids]
    assert sorted(session_ids) == sorted(line.split()[0] for line in output.splitlines())
    for session in sessions:
        assert _roots(session) == ["question", "chain-sequence", "answer"]
        assert len(session["activities"]) == 4
        [llm] = _of_type(session, "llm-prompt")
        assert llm["prompt_template"]["template_name"] == "support_chat"
    questions = {a["text"] for s in sessions for a in _of_type(s, "question")}
    assert questions == {"When do you open?", "Are you open on weekends?"}


def test_sdk_docs_legacy_session_example(live_server, tenant, tmp_path):
    run_example(example_after("docs/sdk.md", "### The published client's API"), live_server, tenant.api_key,
                tmp_path)
    with live_server.client(tenant.api_key) as client:
        assert stored_session_ids(client) == ["ticket-42"]
        stored = stored_session(client, "ticket-42", 3)
    assert stored["tracking_project"] == "support-bot"
    assert _roots(stored) == ["question", "log", "answer"]


def test_sdk_docs_own_llm_call_example_stores_model_usage_and_cost(live_server, tenant, tmp_path):
    run_example(example_after("docs/sdk.md", "### Your own LLM calls"), live_server, tenant.api_key, tmp_path)
    with live_server.client(tenant.api_key) as client:
        [session_id] = stored_session_ids(client)
        stored = stored_session(client, session_id, 1)
    assert stored["session_name"] == "write"
    [call] = _of_type(stored, "llm-prompt")
    assert (call["prompt"], call["model"], call["settings"]) == ("write a poem", "gpt-4o-mini", {"temperature": 0.9})
    assert call["generated"] == "Roses are red, the logs are green."
    assert (call["usage"]["prompt_tokens"], call["usage"]["completion_tokens"]) == (12, 24)
    assert call["cost"] == pytest.approx((12 * 0.15 + 24 * 0.60) / 1_000_000)  # gpt-4o-mini's price per token
    assert stored["cost"] == pytest.approx(call["cost"])
