"""Realistic sessions for the browser tests: a retrieval-augmented answer with a chain, retrieved documents,
a templated chat call, a tool and an answer; a failed call; and plain calls across projects and tenants."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.support.payloads import iso, uid

SYSTEM_PROMPT = "You are a support assistant for Acme Cloud. Answer from the documents only."
QUESTION = "How do I rotate my API key without downtime?"
ANSWER = "Create a second key, deploy it, then revoke the old one (Settings → API keys)."


def _activity(sid: str, kind: str, start: datetime, seconds: float, **fields) -> dict:
    return {
        "id": uid("a-"),
        "session_id": sid,
        "activity_type": kind,
        "start_time": iso(start),
        "end_time": iso(start + timedelta(seconds=seconds)),
        **fields,
    }


def rag_session(project: str, tenant: str, start: datetime) -> tuple[dict, list[dict]]:
    sid = uid("rag-")
    session = {
        "id": sid,
        "session_name": "Support answer: key rotation",
        "tracking_project": project,
        "tracking_tenant": tenant,
        "start_time": iso(start),
        "end_time": iso(start + timedelta(seconds=3.2)),
        "tags": ["support", "rag"],
    }
    chain = _activity(sid, "chain-sequence", start, 3.1, sequence_type="RetrievalQA", inputs={"question": QUESTION})
    chain["outputs"] = {"answer": ANSWER}
    question = _activity(sid, "question", start, 0.01, text=QUESTION, parent_activity_id=chain["id"])
    docs = _activity(
        sid,
        "retrieved-docs",
        start + timedelta(seconds=0.05),
        0.4,
        parent_activity_id=chain["id"],
        documents=[
            {"id": "kb-17", "text": "API keys can be created and revoked at any time.", "source": "kb/keys.md"},
            {"id": "kb-4", "text": "Deploy the new key before revoking the old one.", "source": "kb/deploy.md"},
        ],
        scores=[0.912, 0.774],
    )
    llm = _activity(
        sid,
        "llm-prompt",
        start + timedelta(seconds=0.5),
        2.2,
        parent_activity_id=chain["id"],
        prompt=[{"role": "system", "text": SYSTEM_PROMPT}, {"role": "user", "text": QUESTION}],
        prompt_template={
            "template_name": "support-answer",
            "template_version": "3",
            "prompt_template": "Q: {question}",
        },
        prompt_input_values={"question": QUESTION},
        generated=ANSWER,
        model="gpt-4o-mini",
        provider="openai",
        settings={"temperature": 0.2, "max_tokens": 400},
        usage={"prompt_tokens": 1200, "completion_tokens": 180, "total_tokens": 1380},
        time_to_first_token_ms=310,
    )
    tool = _activity(
        sid,
        "action",
        start + timedelta(seconds=2.75),
        0.3,
        parent_activity_id=chain["id"],
        tool_type="lookup_account",
        input="acct-42",
        output="plan: business",
    )
    answer = _activity(sid, "answer", start + timedelta(seconds=3.1), 0.01, text=ANSWER)
    return session, [chain, question, docs, llm, tool, answer]


def failed_session(project: str, tenant: str, start: datetime) -> tuple[dict, list[dict]]:
    sid = uid("err-")
    session = {
        "id": sid,
        "session_name": "Summarise ticket",
        "tracking_project": project,
        "tracking_tenant": tenant,
        "start_time": iso(start),
        "end_time": iso(start + timedelta(seconds=1.5)),
        "is_error": True,
    }
    llm = _activity(
        sid,
        "llm-prompt",
        start,
        1.4,
        prompt="Summarise: the printer is on fire",
        model="gpt-4o",
        error="RateLimitError: 429 Too Many Requests",
        prompt_template={"template_name": "summarise", "template_version": "1"},
        usage={"prompt_tokens": 40, "completion_tokens": 0, "total_tokens": 40},
    )
    return session, [llm]


def plain_session(project: str, tenant: str, start: datetime, n: int) -> tuple[dict, list[dict]]:
    sid = uid("chat-")
    session = {
        "id": sid,
        "session_name": f"Chat {n}",
        "tracking_project": project,
        "tracking_tenant": tenant,
        "start_time": iso(start),
        "end_time": iso(start + timedelta(seconds=1)),
    }
    llm = _activity(
        sid,
        "llm-prompt",
        start,
        0.4 + n / 10,
        prompt=f"Say hello number {n}",
        generated=f"Hello {n}!",
        model="gpt-4o-mini" if n % 2 else "claude-3-5-haiku-latest",
        usage={"prompt_tokens": 20 + n, "completion_tokens": 5 + n, "total_tokens": 25 + 2 * n},
    )
    return session, [llm]


def ingest(client, *built: tuple[dict, list[dict]]) -> None:
    sessions = [s for s, _ in built]
    activities = [a for _, items in built for a in items]
    answer = client.post("/api/v1/ingest", json={"sessions": sessions, "activities": activities})
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text


def seed(client, project: str = "support") -> dict:
    """Store the scenario; returns the ids and names the tests look for."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    rag = rag_session(project, "acme", now - timedelta(hours=2))
    failed = failed_session(project, "globex", now - timedelta(hours=1))
    plain = [plain_session("website", f"tenant-{n % 3}", now - timedelta(hours=30 + n), n) for n in range(6)]
    ingest(client, rag, failed, *plain)
    return {"rag": rag[0], "failed": failed[0], "plain": [s for s, _ in plain]}


def each_main_screen(ui, tenant, scheme: str):
    """Store the scenario, sign in with the system's colour scheme `scheme`, then open the main screens one after
    the other, each once loaded in that theme: yields its path."""
    with ui.server.client(tenant.api_key) as client:
        stored = seed(client)
    ui.sign_in(tenant, scheme=scheme)
    screens = [
        ("/ui/sessions", "tr.row"),
        (f"/ui/sessions/{stored['failed']['id']}", ".block.bad"),
        (f"/ui/sessions/{stored['rag']['id']}", ".messages"),
        ("/ui/usage?range=all", ".plot canvas"),
        ("/ui/templates/support-answer", "h1:text-is('support-answer')"),
        ("/ui/settings", "table[aria-label='API keys']"),
    ]
    for path, ready in screens:
        ui.open(path, ready)
        assert ui.page.evaluate("document.documentElement.dataset.theme") == scheme
        yield path
