"""`test.langchain.get_test_memory(memory_key="history")`: each unit-test case's recorded chat history as
LangChain messages, so a conversational chain sees the conversation the case was recorded in.

    with UnitTest("support").for_project_sessions("support-bot") as test:
        memory = test.langchain.get_test_memory(memory_key="history")
        chain = prompt | llm  # prompt: [MessagesPlaceholder("history"), ("human", "{question}")]
        for case in test.test_cases():
            case.evaluate(lambda inputs: chain.invoke({**inputs, "history": memory.messages}))

The history is read from the pending case's input `memory_key`: a list of messages (LangChain messages,
their serialized dicts, or `{"role", "content" | "text"}` dicts) or a transcript (`"Human: …\\nAI: …"`).
It goes in as an input, as LangChain recommends now that `RunnableWithMessageHistory` (langchain-core
1.3.3) and the chat-history classes (1.6.4) are deprecated, to be removed in 2.0; nothing here uses them.
Chains still wrapped in `RunnableWithMessageHistory` keep working: `get_session_history()` returns a
fresh `CaseHistory` per call, which offers what that wrapper reads and adds, so nothing a case adds reaches
the next one. `memory_variables` and `load_memory_variables` are the reading side of legacy memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import LANGCHAIN_MISSING

try:
    from langchain_core.messages import (
        AIMessage,
        BaseMessage,
        HumanMessage,
        SystemMessage,
        convert_to_messages,
        get_buffer_string,
        messages_from_dict,
    )
except ImportError as exc:  # pragma: no cover - exercised only without langchain-core
    raise ImportError(LANGCHAIN_MISSING) from exc

_SPEAKERS = {
    "human": HumanMessage,
    "user": HumanMessage,
    "ai": AIMessage,
    "assistant": AIMessage,
    "system": SystemMessage,
}


def _transcript(text: str) -> list[BaseMessage]:
    """`Human: …` / `AI: …` / `System: …` lines; a line without a speaker continues the message before it."""
    messages: list[BaseMessage] = []
    for line in text.splitlines():
        speaker, sep, rest = line.partition(":")
        kind = _SPEAKERS.get(speaker.strip().lower()) if sep else None
        if kind is not None:
            messages.append(kind(content=rest.strip()))
        elif messages:
            messages[-1].content = f"{messages[-1].content}\n{line}"
        elif line.strip():
            messages.append(HumanMessage(content=line))
    return messages


def _message(item: Any) -> BaseMessage:
    if isinstance(item, BaseMessage):
        return item
    if isinstance(item, dict) and "data" in item and "type" in item:
        return messages_from_dict([item])[0]
    if isinstance(item, dict):
        role = item.get("role") or item.get("type") or "human"
        content = item.get("content", item.get("text", ""))
        return convert_to_messages([{"role": str(role).lower(), "content": content}])[0]
    return HumanMessage(content=str(item))


def history_messages(value: Any) -> list[BaseMessage]:
    """A recorded history (module docstring) as LangChain messages."""
    if value is None:
        return []
    if isinstance(value, str):
        return _transcript(value)
    if isinstance(value, list):
        return [_message(item) for item in value]
    return [_message(value)]


@dataclass
class CaseHistory:
    """One case's chat history as `RunnableWithMessageHistory` reads and extends it (module docstring)."""

    messages: list[BaseMessage] = field(default_factory=list)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        self.messages.extend(messages)

    async def aget_messages(self) -> list[BaseMessage]:
        return self.messages

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        self.add_messages(messages)

    def clear(self) -> None:
        self.messages = []


class TestMemory:
    """The pending test case's recorded history as memory (module docstring)."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        session: Any,
        memory_key: str = "history",
        return_messages: bool = False,
        human_prefix: str = "Human",
        ai_prefix: str = "AI",
    ):
        self.session = session
        self.memory_key = memory_key
        self.return_messages = return_messages
        self.human_prefix = human_prefix
        self.ai_prefix = ai_prefix

    @property
    def memory_variables(self) -> list[str]:
        return [self.memory_key]

    @property
    def messages(self) -> list[BaseMessage]:
        pending = self.session.pending
        return history_messages(pending.inputs.get(self.memory_key)) if pending is not None else []

    def load_memory_variables(self, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
        messages = self.messages
        if self.return_messages:
            return {self.memory_key: messages}
        return {self.memory_key: get_buffer_string(messages, self.human_prefix, self.ai_prefix)}

    def save_context(self, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        """Nothing is kept: each case starts from its own recorded history."""

    def clear(self) -> None:
        """Nothing to clear (see `save_context`)."""

    def get_session_history(self, session_id: str | None = None) -> CaseHistory:
        """For `RunnableWithMessageHistory`: a fresh history holding the pending case's recorded messages."""
        return CaseHistory(self.messages)


class LangChainUnitTestSupport:
    """`test.langchain` of a running unit test."""

    def __init__(self, session: Any):
        self.session = session

    def get_test_memory(self, memory_key: str = "history", return_messages: bool = False) -> TestMemory:
        return TestMemory(self.session, memory_key=memory_key, return_messages=return_messages)
