"""`test.langchain.get_test_memory()`: each case's recorded history reaches the chain (as a transcript,
as messages, as an input or through `RunnableWithMessageHistory`), nothing one case adds reaches the next,
and the module itself never sets off one of LangChain's deprecation warnings."""

from __future__ import annotations

import asyncio
import warnings

import pytest
from langchain_core._api import LangChainDeprecationWarning
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, messages_to_dict
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import RunnableLambda

from promptwatch.integrations import langchain_test_memory
from promptwatch.integrations.langchain_test_memory import history_messages
from promptwatch.unit_tests import TestCase, UnitTest

pytestmark = [
    pytest.mark.filterwarnings("error::langchain_core._api.deprecation.LangChainDeprecationWarning"),
    pytest.mark.filterwarnings("error::langchain_core._api.deprecation.LangChainPendingDeprecationWarning"),
]

PROMPT = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("human", "{question}")])
CASES = ["Human: My name is Ada\nAI: Hi Ada", [{"role": "user", "content": "I like tea"}]]
SEEN_BY_CASE = [
    [("human", "My name is Ada"), ("ai", "Hi Ada"), ("human", "And now?")],
    [("human", "I like tea"), ("human", "And now?")],  # nothing of the first case leaked
]


def case(history, question: str = "And now?") -> TestCase:
    return TestCase(inputs={"question": question, "history": history}, outputs=[{"label": 1, "value": "x"}])


def recording_model(seen: list[list]) -> RunnableLambda:
    def model(prompt_value):
        seen.append([(m.type, m.content) for m in prompt_value.to_messages()])
        return AIMessage(content="ok")

    return RunnableLambda(model)


def test_recorded_histories_of_every_shape_become_messages():
    expected = [HumanMessage(content="Hi"), AIMessage(content="Hello!\nHow can I help?")]
    assert history_messages("Human: Hi\nAI: Hello!\nHow can I help?") == expected
    assert history_messages([{"role": "user", "content": "Hi"}, {"role": "assistant", "text": "Hello!"}]) == [
        HumanMessage(content="Hi"),
        AIMessage(content="Hello!"),
    ]
    system = [SystemMessage(content="Be brief")]
    assert history_messages(messages_to_dict(system)) == system
    assert history_messages(None) == [] and history_messages("no speaker") == [HumanMessage(content="no speaker")]


def test_each_case_sees_its_own_history_as_an_input():
    seen: list[list] = []
    chain = PROMPT | recording_model(seen)
    with UnitTest("memory", api_key=None, verbose=False).for_test_cases([case(h) for h in CASES]) as test:
        memory = test.langchain.get_test_memory(memory_key="history")
        for handle in test.test_cases():
            assert memory.load_memory_variables({})["history"].startswith("Human: ")
            handle.evaluate(lambda inputs: chain.invoke({**inputs, "history": memory.messages}).content)
        assert memory.messages == []  # no case pending
    assert seen == SEEN_BY_CASE
    assert memory.memory_variables == ["history"]
    assert test.langchain.get_test_memory(return_messages=True).load_memory_variables({}) == {"history": []}


def test_the_module_uses_nothing_langchain_marks_deprecated():
    """The marks above fail any test here that sets off a LangChain deprecation warning; a deprecated class
    warns only once per process, so its PEP 702 mark is looked for as well."""
    marked = [name for name, value in vars(langchain_test_memory).items() if hasattr(value, "__deprecated__")]
    assert marked == []
    history = langchain_test_memory.CaseHistory([HumanMessage(content="Hi")])
    history.add_messages([AIMessage(content="Hello")])
    assert [m.content for m in asyncio.run(history.aget_messages())] == ["Hi", "Hello"]
    history.clear()
    assert history.messages == []


@pytest.mark.parametrize("invoke", ["sync", "async"])
def test_chains_still_wrapped_in_runnable_with_message_history_keep_working(invoke):
    history_module = pytest.importorskip("langchain_core.runnables.history")  # removed in langchain-core 2.0
    seen: list[list] = []
    with UnitTest("memory", api_key=None, verbose=False).for_test_cases([case(h) for h in CASES]) as test:
        memory = test.langchain.get_test_memory(memory_key="history")
        with warnings.catch_warnings():  # the wrapper's own warning, raised by the user's code
            warnings.simplefilter("ignore", LangChainDeprecationWarning)
            chain = history_module.RunnableWithMessageHistory(
                PROMPT | recording_model(seen),
                memory.get_session_history,
                input_messages_key="question",
                history_messages_key="history",
            )
        config = {"configurable": {"session_id": "t"}}
        for handle in test.test_cases():
            if invoke == "sync":
                handle.evaluate(lambda inputs: chain.invoke(inputs, config).content)
            else:
                handle.evaluate(lambda inputs: asyncio.run(chain.ainvoke(inputs, config)).content)
    assert seen == SEEN_BY_CASE
