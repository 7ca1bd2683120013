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
    assert call["prompt"] == [{"role": "system", "text": "You help ACME."},
                              {"role": "user", "text": "When do you open?"}]
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
        ["llm-prompt"] if step == "parser" else [])
    chain_row = next(a for a in rows if a["activity_type"] == "chain-sequence")
    assert chain_row["error"] == f"{type(raised.value).__name__}: {raised.value}"
    assert stored["is_error"] is True
