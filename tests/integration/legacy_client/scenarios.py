"""Scenarios run with the *published* promptwatch 0.4.6 client and LangChain 0.1 fake LLMs.

Runs inside the legacy virtualenv built by scripts/legacy_venv.sh; it never imports PromptWatch server code.
Reads PROMPTWATCH_HOST_URL and PROMPTWATCH_API_KEY from the environment (as the client does) and prints one
line `SCENARIO-RESULT {json}` with what the client did: the session ids it used, the activities it reported
through `PromptWatch.add_on_activity_callback` (id, type, order, parent), every HTTP request it sent (with the
ids, orders and open/closed state of each activity copy, so the test knows exactly which versions went out),
and any error the client logged while sending.

    python scenarios.py NAME [--project P] [--tenant T] [--session-id S]

Names: chain (A), agent (B), chat (C), manual (F), llm_error (G), temp_key (H), read_back (I), reuse (I).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import uuid
from urllib.parse import urlsplit

import requests
from langchain.agents import AgentExecutor, AgentType, Tool, initialize_agent
from langchain.chains import LLMChain
from langchain.prompts import ChatPromptTemplate, MessagesPlaceholder, PromptTemplate
from langchain.schema import AIMessage, HumanMessage
from langchain_community.chat_models.fake import FakeListChatModel
from langchain_community.llms.fake import FakeListLLM
from promptwatch.data_model import DocumentSnippet

from promptwatch import Client, PromptWatch, RetrievedDocuments

NON_ASCII = "naïve café ✓"
RESULT_MARK = "SCENARIO-RESULT "


class Recorder:
    """Watches what the client sends (requests' Session.request, which every client call goes through)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.client_errors: list[str] = []
        self.activities: list[dict] = []
        original = requests.sessions.Session.request
        recorder = self

        def request(session, method, url, *args, **kwargs):
            started = time.monotonic()
            entry = {"method": method.upper(), "path": urlsplit(url).path, "query": urlsplit(url).query}
            body = kwargs.get("data")
            if isinstance(body, str) and body:
                entry["raw_is_ascii"] = body.isascii()
                entry["body"] = summarize(entry["path"], json.loads(body))
            elif kwargs.get("json") is not None:
                entry["body"] = kwargs["json"]
            recorder.requests.append(entry)
            try:
                response = original(session, method, url, *args, **kwargs)
            except Exception as exc:
                entry["exception"] = repr(exc)
                raise
            finally:
                entry["seconds"] = round(time.monotonic() - started, 4)
            entry["status"] = response.status_code
            return response

        requests.sessions.Session.request = request

        class ErrorHandler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                recorder.client_errors.append(f"{record.name}: {record.getMessage()}")

        handler = ErrorHandler(level=logging.ERROR)
        for name in ("PromptWatchClient", "PromptWatch"):
            logging.getLogger(name).addHandler(handler)

    def on_activity(self, activity) -> None:
        """`add_on_activity_callback`: called for logged activities and for every activity when it closes."""
        self.activities.append(
            {
                "id": activity.id,
                "activity_type": activity.activity_type,
                "order": activity.order,
                "parent_activity_id": activity.parent_activity_id,
                "closed": activity.end_time is not None,
                "error": activity.error,
            }
        )

    def watch(self, pw: PromptWatch) -> PromptWatch:
        pw.add_on_activity_callback(self.on_activity)
        return pw


def summarize(path: str, body):
    """Keep sessions whole; of each activity copy keep what the tests compare (metadata is ~5 KB of noise)."""
    if path.endswith("/activities") and isinstance(body, list):
        keep = ("id", "order", "parent_activity_id", "activity_type", "end_time", "error")
        return [{k: item.get(k) for k in keep} for item in body]
    return body


def fake_llm(*responses: str) -> FakeListLLM:
    return FakeListLLM(responses=list(responses))


def completion_chain(answer: str = "the lazy dog.") -> LLMChain:
    return LLMChain(llm=fake_llm(answer), prompt=PromptTemplate.from_template("Finish this sentence: {input}"))


def scenario_chain(rec: Recorder, args) -> dict:
    """A: an LLMChain with a prompt template; the open chain is sent, then re-sent closed with its outputs."""
    with rec.watch(PromptWatch(tracking_project=args.project, tracking_tenant=args.tenant)) as pw:
        session_id = pw.current_session.id
        output = completion_chain()("The quick brown fox jumped over")
    return {"session_ids": [session_id], "output": output["text"]}


def calculator(expression: str) -> str:
    left, _, right = expression.strip().partition("*")
    return str(int(left) * int(right))


def scenario_agent(rec: Recorder, args) -> dict:
    """B: a zero-shot ReAct AgentExecutor calling a calculator tool (tree: agent > LLMChain > llm-prompt)."""
    llm = fake_llm(
        "I should multiply.\nAction: calculator\nAction Input: 6*7",
        "I now know the final answer.\nFinal Answer: 42",
    )
    tool = Tool(name="calculator", func=calculator, description="multiplies two integers written a*b")
    agent: AgentExecutor = initialize_agent([tool], llm, agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION)
    with rec.watch(PromptWatch(tracking_project=args.project, tracking_tenant=args.tenant)) as pw:
        session_id = pw.current_session.id
        PromptWatch.log_user_question("What is 6 times 7?")
        output = agent.run("What is 6 times 7?")
    return {"session_ids": [session_id], "output": output}


def support_chat_template() -> ChatPromptTemplate:
    return ChatPromptTemplate.from_messages(
        [
            ("system", "You are a helpful assistant for {company}."),
            MessagesPlaceholder(variable_name="history"),
            ("human", "{question}"),
        ]
    )


def scenario_chat(rec: Recorder, args) -> dict:
    """C: a chat model behind a registered chat template, with history and non-ASCII text."""
    template = support_chat_template()
    chain = LLMChain(llm=FakeListChatModel(responses=[f"We open at 9am. {NON_ASCII}"]), prompt=template)
    with rec.watch(PromptWatch(tracking_project=args.project, tracking_tenant=args.tenant)) as pw:
        pw.register_prompt_template("support_chat", template, version="1.0")
        session_id = pw.current_session.id
        pw.set_session_name(f"chat {NON_ASCII}")
        output = chain(
            {
                "company": "ACME",
                "question": f"When do you open? {NON_ASCII}",
                "history": [HumanMessage(content="Hi"), AIMessage(content="Hello! How can I help?")],
            }
        )
    return {"session_ids": [session_id], "output": output["text"]}


def scenario_manual(rec: Recorder, args) -> dict:
    """F: manual logging: question, retrieved documents, logs (one with an error), answer with feedback."""
    with rec.watch(PromptWatch(tracking_project=args.project, tracking_tenant=args.tenant)) as pw:
        session_id = pw.current_session.id
        PromptWatch.log_user_question("How do I reset my password?", metadata={"channel": "web"})
        PromptWatch.log_activity(
            RetrievedDocuments(
                documents=[
                    DocumentSnippet(
                        id="kb-1",
                        text="To reset your password click 'Forgot password'.",
                        source="kb/reset.md",
                        metadata={"section": "auth"},
                    ),
                    DocumentSnippet(text="Passwords expire after 90 days.", source="kb/policy.md"),
                ],
                scores=[0.91, 0.55],
            )
        )
        PromptWatch.log(f"looked up 2 KB articles {NON_ASCII}", metadata={"latency_ms": 12})
        PromptWatch.log("ticket system timeout", error_msg="TimeoutError: 5s")
        PromptWatch.log_assistant_answer(
            "Click 'Forgot password' on the login page.",
            feedback_label=1,
            feedback_rating=5,
            feedback_notes="user was happy",
            metadata={"model": "fake"},
        )
    return {"session_ids": [session_id]}


class FailingLLM(FakeListLLM):
    def _call(self, prompt, stop=None, run_manager=None, **kwargs):
        raise RuntimeError("model backend unavailable (simulated)")


def scenario_llm_error(rec: Recorder, args) -> dict:
    """G: the LLM raises inside an LLMChain: both get `error`, the session finishes with is_error."""
    chain = LLMChain(llm=FailingLLM(responses=["never"]), prompt=PromptTemplate.from_template("Say {word}"))
    raised = None
    with rec.watch(PromptWatch(tracking_project=args.project, tracking_tenant=args.tenant)) as pw:
        session_id = pw.current_session.id
        try:
            chain({"word": "hello"})
        except RuntimeError as exc:
            raised = str(exc)
    return {"session_ids": [session_id], "raised": raised}


def scenario_temp_key(rec: Recorder, args) -> dict:
    """H: with a temp_ key the client forces the session id to the key's uuid (a caller's id is ignored)."""
    with rec.watch(PromptWatch(session_id="ignored-" + uuid.uuid4().hex, tracking_project=args.project)) as pw:
        session_id = pw.current_session.id
        completion_chain("over the temp key.")("The quick brown fox jumped")
    return {"session_ids": [session_id]}


def session_dict(session) -> dict | None:
    return json.loads(session.json()) if session is not None else None


def scenario_read_back(rec: Recorder, args) -> dict:
    """I: a chain, then Client().get_session / restore_session of it and of an unknown id."""
    with rec.watch(PromptWatch(tracking_project=args.project, tracking_tenant=args.tenant)) as pw:
        session_id = pw.current_session.id
        completion_chain()("Read me back")
    client = Client()
    got = session_dict(client.get_session(session_id))
    restored = session_dict(client.restore_session(session_id))
    unknown = str(uuid.uuid4())
    try:
        client.get_session(unknown)
        unknown_get_error = None
    except Exception as exc:  # the client raises a bare Exception unless the answer is exactly 200
        unknown_get_error = str(exc)
    unknown_restored = session_dict(client.restore_session(unknown))
    return {
        "session_ids": [session_id],
        "get_session": got,
        "restore_session": restored,
        "unknown_id": unknown,
        "unknown_get_error": unknown_get_error,
        "unknown_restored": unknown_restored,
    }


def scenario_reuse(rec: Recorder, args) -> dict:
    """I: the same session id in a second PromptWatch(session_id=X): steps and orders restart at 1."""
    session_id = args.session_id or str(uuid.uuid4())
    for words in ("First visit", "Second visit"):
        with rec.watch(PromptWatch(session_id=session_id, tracking_project=args.project, tracking_tenant=args.tenant)):
            completion_chain(f"{words} answered.")(words)
    with rec.watch(PromptWatch(session_id=session_id, tracking_project=args.project)):
        pass  # a context with no activity sends nothing
    return {"session_ids": [session_id], "get_session": session_dict(Client().get_session(session_id))}


SCENARIOS = {
    "chain": scenario_chain,
    "agent": scenario_agent,
    "chat": scenario_chat,
    "manual": scenario_manual,
    "llm_error": scenario_llm_error,
    "temp_key": scenario_temp_key,
    "read_back": scenario_read_back,
    "reuse": scenario_reuse,
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(SCENARIOS))
    parser.add_argument("--project", default=None)
    parser.add_argument("--tenant", default=None)
    parser.add_argument("--session-id", default=None)
    args = parser.parse_args(argv)
    for name in ("PROMPTWATCH_HOST_URL", "PROMPTWATCH_API_KEY"):
        if not os.environ.get(name):
            parser.error(f"{name} must be set")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    recorder = Recorder()
    result = SCENARIOS[args.name](recorder, args)
    result.update(
        scenario=args.name,
        activities=recorder.activities,
        requests=recorder.requests,
        client_errors=recorder.client_errors,
    )
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
