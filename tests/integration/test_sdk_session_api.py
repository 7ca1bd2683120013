"""The published client's session API against the real server: `start_session()` ... `finish_session()`
without `with` is one session; a question the app logs is not recorded again by its LangChain chain, and
feedback given with the chain's answer goes on that answer, and feedback of a type the API refuses is left
out with one warning while the answer is stored; an exception the app catches is its call's error, one that
leaves the session the session's."""

from __future__ import annotations

import pytest

import promptwatch
from promptwatch import PromptWatch
from promptwatch.sdk import _safe
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
        zip(["question", "log", "answer"], LEGACY_TEXTS, strict=True)
    )


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
        chain.invoke({"question": "And again?"})  # not logged by the app: the chain records it
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        stored = stored_session(client, pw.session_id, 6)
    roots = sorted((a for a in stored["activities"] if not a.get("parent_activity_id")), key=lambda a: a["order"])
    assert [(a["activity_type"], a.get("text")) for a in roots] == [
        ("question", question),
        ("chain-sequence", None),
        ("answer", "Settings, then API keys."),
        ("question", "And again?"),
        ("chain-sequence", None),
    ]
    assert roots[1]["inputs"] == {"question": question}


@pytest.mark.parametrize("stored_first", [True, False], ids=["update-after-store", "same-batch"])
def test_feedback_given_with_the_chains_answer_goes_on_that_answer(live_server, sdk_to, stored_first):
    """The app passes the chain's `{"answer": ...}` on with feedback: one answer, with the feedback."""
    pytest.importorskip("langchain_core")
    from langchain_core.runnables import RunnableLambda

    tenant = live_server.new_tenant("feedback")
    sdk_to(live_server, tenant.api_key)
    chain = RunnableLambda(lambda inputs: {"answer": f"Open {inputs['question']}."})
    with PromptWatch(tracking_project="feedback") as pw:
        answer = chain.invoke({"question": "Settings"})["answer"]
        if stored_first:  # the answer is stored before the feedback arrives: the update must not be "older"
            assert promptwatch.flush(10)
        PromptWatch.log_assistant_answer(
            answer, feedback_label=0, feedback_rating=1, feedback_notes="too short", metadata={"channel": "web"}
        )
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        stored = stored_session(client, pw.session_id, 3)
    answers = [a for a in stored["activities"] if a["activity_type"] == "answer"]
    assert len(answers) == 1 and len(stored["activities"]) == 3  # question, chain-sequence, answer
    [answer_row] = answers
    assert answer_row["text"] == "Open Settings."
    assert (answer_row["feedback_label"], answer_row["feedback_rating"], answer_row["feedback_notes"]) == (
        0,
        1,
        "too short",
    )
    assert answer_row["metadata"] == {"channel": "web"}


@pytest.mark.parametrize("after_chain", [False, True])
def test_feedback_of_a_refused_type_is_left_out_and_the_answer_stored(live_server, sdk_to, caplog, after_chain):
    """`feedback_label` is an integer: a text label is left out with one warning naming it, not the answer."""
    tenant = live_server.new_tenant("feedback-type")
    sdk_to(live_server, tenant.api_key)
    _safe.reset_warnings()
    if after_chain:  # imported before the context is entered, so that it records the chain
        pytest.importorskip("langchain_core")
        from langchain_core.runnables import RunnableLambda
    with PromptWatch(tracking_project="feedback") as pw:
        if after_chain:  # the feedback amends the answer the root chain logged
            RunnableLambda(lambda inputs: {"answer": "outer a"}).invoke({"question": "q"})
        PromptWatch.log_assistant_answer(
            "outer a", feedback_rating=2, feedback_label="meh", metadata={"channel": "web"}
        )
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        stored = stored_session(client, pw.session_id, 3 if after_chain else 1)
    [answer] = [a for a in stored["activities"] if a["activity_type"] == "answer"]
    assert (answer["text"], answer["feedback_rating"], answer["feedback_label"]) == ("outer a", 2, None)
    assert answer["metadata"] == {"channel": "web"}
    assert [r.getMessage() for r in caplog.records if "left out" in r.getMessage()] == [
        "PromptWatch: feedback_label was left out: Input should be a valid integer."
    ]


def _caught_and_escaped() -> tuple[str, str]:
    """Two sessions whose `@observe` call raises: the app catches it in the first, it leaves the second."""

    @promptwatch.observe
    def lookup(query: str) -> str:
        raise TimeoutError(f"knowledge base down for {query}")

    with PromptWatch(tracking_project="errors") as caught:
        try:
            lookup("reset")
        except TimeoutError:
            PromptWatch.log_assistant_answer("Please try again in a minute.")
    with pytest.raises(TimeoutError), PromptWatch(tracking_project="errors") as escaped:
        lookup("rotate")
    assert promptwatch.flush(10)
    return caught.session_id, escaped.session_id


def test_an_exception_is_its_calls_error_and_one_leaving_the_session_is_the_sessions(live_server, sdk_to):
    tenant = live_server.new_tenant("errors")
    sdk_to(live_server, tenant.api_key)
    caught, escaped = _caught_and_escaped()
    with live_server.client(tenant.api_key) as client:
        recovered = stored_session(client, caught, 2)
        failed = stored_session(client, escaped, 1)
    [call] = [a for a in recovered["activities"] if a["activity_type"] == "span"]
    assert call["error"] == "TimeoutError: knowledge base down for reset"
    assert failed["activities"][0]["error"] == "TimeoutError: knowledge base down for rotate"
    assert failed["is_error"] is True


def test_a_session_that_caught_an_exception_is_not_an_error_session(live_server, sdk_to):
    tenant = live_server.new_tenant("errors")
    sdk_to(live_server, tenant.api_key)
    caught, _ = _caught_and_escaped()
    with live_server.client(tenant.api_key) as client:
        assert stored_session(client, caught, 2)["is_error"] is False
