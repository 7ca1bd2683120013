"""The published client's session API against the real server: `start_session()` ... `finish_session()`
without `with` is one session, and a question the app logs is not recorded again by its LangChain chain."""

from __future__ import annotations

import pytest

import promptwatch
from promptwatch import PromptWatch
from tests.support.stored_sessions import stored_session, stored_session_ids

LEGACY_TEXTS = ["What is the plan?", "looked up the plan", "The plan is to ship."]


def _legacy_turn(pw: PromptWatch) -> str:
    """The 0.4.x style: no `with`, the class-level helpers record into the started session."""
    pw.start_session()
    assert PromptWatch.get_active_instance() is pw
    PromptWatch.log_user_question(LEGACY_TEXTS[0])
    PromptWatch.log(LEGACY_TEXTS[1])
    PromptWatch.log_assistant_answer(LEGACY_TEXTS[2])
    session_id = pw.current_session.id
    pw.finish_session()
    assert PromptWatch.get_active_instance() is None
    return session_id


@pytest.mark.parametrize("given_id", ["legacy-sess-2", None])
def test_legacy_start_and_finish_session_make_one_session(live_server, sdk_to, given_id):
    tenant = live_server.new_tenant("legacy")
    sdk_to(live_server, tenant.api_key)
    session_id = _legacy_turn(PromptWatch(tracking_project="legacy2", session_id=given_id))
    assert given_id is None or session_id == given_id
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        stored = stored_session(client, session_id, 3)
        assert stored_session_ids(client) == [session_id]
    assert stored["tracking_project"] == "legacy2"
    activities = sorted(stored["activities"], key=lambda item: item["order"])
    assert [(a["activity_type"], a["text"]) for a in activities] == list(
        zip(["question", "log", "answer"], LEGACY_TEXTS, strict=True))


def test_quickstart_records_the_question_once(live_server, sdk_to):
    pytest.importorskip("langchain_core")
    from langchain_core.language_models.fake_chat_models import FakeListChatModel
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    tenant = live_server.new_tenant("quickstart")
    sdk_to(live_server, tenant.api_key)
    prompt = ChatPromptTemplate.from_messages([("system", "Answer briefly."), ("human", "{question}")])
    chain = prompt | FakeListChatModel(responses=["Settings, then API keys.", "Still Settings."]) | StrOutputParser()
    question = "How do I rotate my key?"
    with PromptWatch(tracking_project="quickstart") as pw:
        PromptWatch.log_user_question(question)
        answer = chain.invoke({"question": question})
        PromptWatch.log_assistant_answer(answer)
        chain.invoke({"question": "And again?"})          # not logged by the app: the chain records it
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        stored = stored_session(client, pw.session_id, 6)
    roots = sorted((a for a in stored["activities"] if not a.get("parent_activity_id")), key=lambda a: a["order"])
    assert [(a["activity_type"], a.get("text")) for a in roots] == [
        ("question", question), ("chain-sequence", None), ("answer", "Settings, then API keys."),
        ("question", "And again?"), ("chain-sequence", None)]
    assert roots[1]["inputs"] == {"question": question}
