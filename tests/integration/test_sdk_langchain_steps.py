"""A `prompt | llm | parser` chain against the real server: the chain and its LLM call are the rows; the
prompt template and the output parser are not rows of their own, and their errors still show."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import FakeListChatModel  # noqa: E402
from langchain_core.output_parsers import JsonOutputParser, StrOutputParser  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate  # noqa: E402

import promptwatch  # noqa: E402
from promptwatch import PromptWatch, register_prompt_template  # noqa: E402
from tests.support.payloads import uid  # noqa: E402
from tests.support.stored_sessions import stored_session  # noqa: E402


def _prompt():
    return ChatPromptTemplate.from_messages([("system", "You help {company}."), ("human", "{question}")])


def test_the_template_goes_on_the_llm_call_and_the_parser_is_the_chains_output(live_server, sdk_to):
    tenant = live_server.new_tenant("steps")
    sdk_to(live_server, tenant.api_key)
    name = f"helper_{uid()}"
    prompt = register_prompt_template(name, _prompt(), "1.0")
    chain = prompt | FakeListChatModel(responses=["At 9."]) | StrOutputParser()
    with PromptWatch(tracking_project="steps") as pw:
        assert chain.invoke({"company": "ACME", "question": "When do you open?"}) == "At 9."
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        stored = stored_session(client, pw.session_id, 2)
    by_type = {a["activity_type"]: a for a in stored["activities"]}
    assert sorted(a["activity_type"] for a in stored["activities"]) == ["chain-sequence", "llm-prompt"]
    chain_row, call = by_type["chain-sequence"], by_type["llm-prompt"]
    assert call["parent_activity_id"] == chain_row["id"]
    assert call["prompt"] == [
        {"role": "system", "text": "You help ACME."},
        {"role": "user", "text": "When do you open?"},
    ]
    assert (call["template_name"], call["template_version"]) == (name, "1.0.0")  # the server's form of "1.0"
    assert call["prompt_template"]["prompt_template"][1]["prompt_template"] == "{question}"
    assert call["prompt_input_values"] == {"company": "ACME", "question": "When do you open?"}
    assert chain_row["outputs"] == {"output": "At 9."} and not chain_row.get("error")
    assert stored["is_error"] is False


@pytest.mark.parametrize("step", ["parser", "template"])
def test_an_error_of_a_template_or_parser_step_shows_on_its_chain(live_server, sdk_to, step):
    tenant = live_server.new_tenant("steps")
    sdk_to(live_server, tenant.api_key)
    chain = _prompt() | FakeListChatModel(responses=["not json"]) | JsonOutputParser()
    inputs = {"company": "ACME", "question": "Hours?"} if step == "parser" else {"company": "ACME"}
    with pytest.raises(Exception) as raised, PromptWatch(tracking_project="steps") as pw:
        chain.invoke(inputs)
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        stored = stored_session(client, pw.session_id, 1)
    rows = stored["activities"]
    assert [a["activity_type"] for a in rows if not a.get("parent_activity_id")] == ["chain-sequence"]
    assert [a["activity_type"] for a in rows if a.get("parent_activity_id")] == (
        ["llm-prompt"] if step == "parser" else []
    )
    chain_row = next(a for a in rows if a["activity_type"] == "chain-sequence")
    assert chain_row["error"] == f"{type(raised.value).__name__}: {raised.value}"
    assert stored["is_error"] is True


def test_a_streamed_chain_records_its_inputs_question_and_name(live_server, sdk_to):
    import asyncio

    tenant = live_server.new_tenant("steps")
    sdk_to(live_server, tenant.api_key)
    chain = _prompt() | FakeListChatModel(responses=["At 9."]) | StrOutputParser()
    with PromptWatch(tracking_project="steps") as streamed:
        assert "".join(chain.stream({"company": "ACME", "question": "When do you open?"})) == "At 9."
    chain = (
        ChatPromptTemplate.from_messages([("human", "{question} {notes}")])
        | FakeListChatModel(responses=["Yes."])
        | StrOutputParser()
    )

    async def read() -> str:
        return "".join([piece async for piece in chain.astream({"question": "Saturdays?", "notes": "VIP"})])

    with PromptWatch(tracking_project="steps") as astreamed:
        assert asyncio.run(read()) == "Yes."
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        first, second = stored_session(client, streamed.session_id, 2), stored_session(client, astreamed.session_id, 2)
    chain_row = next(a for a in first["activities"] if a["activity_type"] == "chain-sequence")
    assert chain_row["inputs"] == {"company": "ACME", "question": "When do you open?"}
    assert first["session_name"] == "ACME"
    chain_row = next(a for a in second["activities"] if a["activity_type"] == "chain-sequence")
    assert chain_row["inputs"] == {"question": "Saturdays?", "notes": "VIP"}
    assert second["session_name"] == "Saturdays?"


def test_a_streamed_chain_asked_a_question_logs_it(live_server, sdk_to):
    tenant = live_server.new_tenant("steps")
    sdk_to(live_server, tenant.api_key)
    chain = ChatPromptTemplate.from_messages([("human", "{question}")]) | FakeListChatModel(responses=["At 9."])
    with PromptWatch(tracking_project="steps") as pw:
        assert "".join(chunk.content for chunk in chain.stream({"question": "When do you open?"})) == "At 9."
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        stored = stored_session(client, pw.session_id, 3)
    questions = [a["text"] for a in stored["activities"] if a["activity_type"] == "question"]
    assert questions == ["When do you open?"] and stored["session_name"] == "When do you open?"


def _chat_openai_session(live_server, sdk_to, run, count, first_token_delay=0.0):
    """Runs `run(ChatOpenAI)` against the fake provider inside a session; the stored session's LLM calls."""
    pytest.importorskip("langchain_openai")
    from langchain_openai import ChatOpenAI

    from tests.support.fake_openai import FakeOpenAI

    fake = FakeOpenAI(first_token_delay=first_token_delay).start()
    try:
        tenant = live_server.new_tenant("lc-openai")
        sdk_to(live_server, tenant.api_key)
        with PromptWatch(tracking_project="lc-openai") as pw:
            run(
                lambda **kw: ChatOpenAI(
                    model="gpt-4o-mini", api_key="sk-test", base_url=fake.base_url, max_retries=0, **kw
                )
            )
        assert promptwatch.flush(10)
        with live_server.client(tenant.api_key) as client:
            stored = stored_session(client, pw.session_id, count)
    finally:
        fake.stop()
    return sorted(
        (a for a in stored["activities"] if a["activity_type"] == "llm-prompt"), key=lambda a: a["start_time"]
    )


def lookup(query: str) -> str:
    """Looks the query up."""
    return "sunny"


def test_chat_openai_tool_calls_are_the_output_and_stay_on_the_next_prompt(live_server, sdk_to):
    from langchain_core.messages import HumanMessage, ToolMessage

    def run(chat):
        model = chat().bind_tools([lookup])
        question = HumanMessage("weather?")
        call = model.invoke([question])
        assert call.tool_calls[0]["name"] == "lookup"
        model.invoke([question, call, ToolMessage("sunny", tool_call_id=call.tool_calls[0]["id"])])

    asked, answered = _chat_openai_session(live_server, sdk_to, run, 2)
    calls = [{"id": "call_fake_1", "name": "lookup", "arguments": '{"query": "weather?"}'}]
    assert asked["generated"] == '[{"id":"call_fake_1","name":"lookup","arguments":"{\\"query\\": \\"weather?\\"}"}]'
    assert answered["generated"] == "Echo: sunny"
    assert answered["prompt"][1] == {"role": "assistant", "text": "", "tool_calls": calls}
    assert answered["prompt"][2] == {"role": "tool", "text": "sunny", "tool_call_id": "call_fake_1"}


def test_chat_openai_model_is_the_requested_one_whether_the_call_fails_or_not(live_server, sdk_to):
    def run(chat):
        chat().invoke("hello")
        with pytest.raises(Exception, match="invalid request"):
            chat().invoke("FAIL")

    ok, failed = _chat_openai_session(live_server, sdk_to, run, 2)
    assert ok["model"] == failed["model"] == "gpt-4o-mini" and failed["error"]
    assert ok["metadata"]["response_model"] == "gpt-4o-mini-0001"
    assert ok["cost"] and ok["cost"] > 0


def test_chat_openai_time_to_first_token_is_the_first_chunk_with_content(live_server, sdk_to):
    def run(chat):
        assert "".join(chunk.content for chunk in chat(streaming=True).stream("hello")) == "Echo: hello"

    (call,) = _chat_openai_session(live_server, sdk_to, run, 1, first_token_delay=0.3)
    assert call["ttft_ms"] >= 300
