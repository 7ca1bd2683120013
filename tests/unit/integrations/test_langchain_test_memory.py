"""`test.langchain.get_test_memory()`: each case's recorded history reaches the chain (as a transcript,
as messages, through `RunnableWithMessageHistory`) and nothing one case adds reaches the next."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, messages_to_dict
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import RunnableLambda
from langchain_core.runnables.history import RunnableWithMessageHistory

from promptwatch.integrations.langchain_test_memory import history_messages
from promptwatch.unit_tests import TestCase, UnitTest


def case(history, question: str = "And now?") -> TestCase:
    return TestCase(inputs={"question": question, "history": history}, outputs=[{"label": 1, "value": "x"}])


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


def test_each_case_sees_its_own_history_through_runnable_with_message_history():
    seen: list[list] = []

    def model(prompt_value):
        seen.append([(m.type, m.content) for m in prompt_value.to_messages()])
        return AIMessage(content="ok")

    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("human", "{question}")])
    cases = [case("Human: My name is Ada\nAI: Hi Ada"), case([{"role": "user", "content": "I like tea"}])]
    with UnitTest("memory", api_key=None, verbose=False).for_test_cases(cases) as test:
        memory = test.langchain.get_test_memory(memory_key="history")
        chain = RunnableWithMessageHistory(
            prompt | RunnableLambda(model),
            memory.get_session_history,
            input_messages_key="question",
            history_messages_key="history",
        )
        for handle in test.test_cases():
            assert memory.load_memory_variables({})["history"].startswith("Human: ")
            handle.evaluate(lambda inputs: chain.invoke(inputs, {"configurable": {"session_id": "t"}}).content)
        assert memory.messages == []  # no case pending
    assert seen == [
        [("human", "My name is Ada"), ("ai", "Hi Ada"), ("human", "And now?")],
        [("human", "I like tea"), ("human", "And now?")],  # nothing of the first case leaked
    ]
    assert memory.memory_variables == ["history"]
    assert test.langchain.get_test_memory(return_messages=True).load_memory_variables({}) == {"history": []}
