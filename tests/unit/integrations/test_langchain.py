"""LangChain runs recorded through the callback handler PromptWatch wires into its context.

Real langchain-core fake models and a real `ChatOpenAI` against the local fake OpenAI server.
"""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.documents import Document
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import BaseOutputParser, JsonOutputParser, StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder, PromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

import promptwatch
from promptwatch import PromptWatch, observe, register_prompt_template
from promptwatch.integrations.langchain import PromptWatchCallbackHandler


@tool
def word_count(text: str) -> str:
    """Count the words of a text."""
    return str(len(text.split()))


class KeywordRetriever(BaseRetriever):
    def _get_relevant_documents(self, query, *, run_manager):
        return [Document(page_content=f"about {query}", metadata={"source": "kb.md", "score": 0.9}, id="d1"),
                Document(page_content="other", metadata={"source": "kb2.md", "score": 0.4})]


def _records(sink):
    promptwatch.flush(5)
    return list(sink.latest_activities().values())


def test_llm_chain_with_registered_template_makes_a_tree(sdk):
    prompt = PromptTemplate.from_template("Finish this sentence: {input}")
    register_prompt_template("finisher", prompt, version="1.0")
    chain = prompt | FakeListLLM(responses=["the lazy dog."]) | StrOutputParser()
    with PromptWatch(tracking_project="lc") as pw:
        assert chain.invoke({"input": "The quick brown fox"}) == "the lazy dog."
    records = _records(sdk)
    assert sorted(item["activity_type"] for item in records) == ["chain-sequence", "llm-prompt"]
    by_id = {item["id"]: item for item in records}
    llm = next(item for item in records if item["activity_type"] == "llm-prompt")
    assert llm["prompt"] == "Finish this sentence: The quick brown fox"
    assert llm["generated"] == "the lazy dog."
    assert llm["prompt_template"]["template_name"] == "finisher"
    assert llm["prompt_template"]["template_version"] == "1.0"
    assert llm["prompt_input_values"] == {"input": "The quick brown fox"}
    root = by_id[llm["parent_activity_id"]]
    assert root["activity_type"] == "chain-sequence" and root["sequence_type"] == "RunnableSequence"
    assert root["outputs"] == {"output": "the lazy dog."}
    assert {item["session_id"] for item in records} == {pw.session_id}
    session = sdk.latest_sessions()[pw.session_id]
    assert session["session_name"] == "The quick brown fox" and session["tracking_project"] == "lc"


def _rows(records):
    """(name, its parent's name, error) of each activity, sorted."""
    names = {item["id"]: item.get("name") or item["activity_type"] for item in records}
    return sorted((names[item["id"]], names.get(item.get("parent_activity_id")), item.get("error")) for item in records)


def test_template_and_parser_steps_are_no_rows_and_their_errors_stay_on_the_run_around_them(sdk):
    prompt = PromptTemplate.from_template("Say {word}")
    llm = FakeListLLM(responses=["not json"])
    with PromptWatch() as broken_template, pytest.raises(KeyError) as missing:
        (prompt | llm).invoke({"other": "hi"})
    with PromptWatch() as broken_parser, pytest.raises(OutputParserException) as not_json:
        (prompt | llm | JsonOutputParser()).invoke({"word": "hi"})
    # the parser fails and its fallback answers: the error stays, on the run LangChain names as the failed
    # parser's parent (the sequence, not the fallbacks)
    with PromptWatch() as recovered:
        (prompt | llm | JsonOutputParser().with_fallbacks([StrOutputParser()])).invoke({"word": "hi"})
    records = _records(sdk)

    def rows(pw):
        return _rows([item for item in records if item["session_id"] == pw.session_id])

    assert rows(broken_template) == [("RunnableSequence", None, f"KeyError: {missing.value}")]
    parse_error = f"OutputParserException: {not_json.value}"
    assert rows(broken_parser) == [("FakeListLLM", "RunnableSequence", None), ("RunnableSequence", None, parse_error)]
    assert rows(recovered) == [("FakeListLLM", "RunnableSequence", None), ("RunnableSequence", None, parse_error),
                               ("RunnableWithFallbacks", "RunnableSequence", None)]


class FixingParser(BaseOutputParser[str]):
    """A parser that asks a model to repair what it was given, as LangChain's OutputFixingParser does."""

    def parse(self, text: str) -> str:
        return FakeListLLM(responses=["{}"]).invoke(f"Fix: {text}")


def test_a_run_inside_a_folded_step_goes_under_the_run_around_it_and_a_step_alone_is_a_row(sdk):
    chain = PromptTemplate.from_template("{question}") | FakeListLLM(responses=["oops"]) | FixingParser()
    with PromptWatch():
        assert chain.invoke({"question": "Why?"}) == "{}"
        PromptTemplate.from_template("Say {word}").invoke({"word": "alone"})
        StrOutputParser().invoke("parsed alone")
    records = _records(sdk)
    assert _rows(records) == [("FakeListLLM", "RunnableSequence", None), ("FakeListLLM", "RunnableSequence", None),
                              ("PromptTemplate", None, None), ("RunnableSequence", None, None),
                              ("StrOutputParser", None, None), ("question", None, None)]
    fixed = next(item for item in records if item.get("prompt") == "Fix: oops")
    assert fixed["generated"] == "{}" and "prompt_template" not in fixed  # not the template of the first call
    assert [item["text"] for item in records if item["activity_type"] == "question"] == ["Why?"]


def test_chat_model_messages_and_placeholder_template(sdk):
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You help {company}."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    chain = prompt | FakeListChatModel(responses=["We open at 9."])
    with PromptWatch():
        chain.invoke({"company": "ACME", "question": "When?", "history": [AIMessage(content="Hi!")]})
    llm = next(item for item in _records(sdk) if item["activity_type"] == "llm-prompt")
    assert llm["prompt"] == [
        {"role": "system", "text": "You help ACME."},
        {"role": "assistant", "text": "Hi!"},
        {"role": "user", "text": "When?"},
    ]
    assert llm["generated"] == "We open at 9."
    assert llm["model"] == "fake-list-chat-model"  # no model name: its LangChain type, so a price can name it
    template = llm["prompt_template"]
    assert template["format"] == "chat_messages"
    assert template["prompt_template"][0] == {"prompt_template": "You help {company}.",
                                              "prompt_input_params": ["company"], "format": "f-string",
                                              "role": "system"}
    assert template["prompt_template"][1] == "history"
    assert llm["prompt_input_values"]["history"] == [{"role": "assistant", "text": "Hi!"}]


def test_streaming_chat_records_time_to_first_token_and_usage(sdk):
    model = GenericFakeChatModel(messages=iter([AIMessage(
        content="a b c", usage_metadata={"input_tokens": 3, "output_tokens": 3, "total_tokens": 6})]))
    with PromptWatch():
        assert "".join(chunk.content for chunk in model.stream("hey")) == "a b c"
    llm = next(item for item in _records(sdk) if item["activity_type"] == "llm-prompt")
    assert llm["generated"] == "a b c"
    assert llm["time_to_first_token_ms"] >= 0


def test_a_question_the_app_logged_is_not_recorded_again_by_its_chain(sdk):
    chain = ChatPromptTemplate.from_messages([("human", "{question}")]) | FakeListChatModel(
        responses=["one", "two", "three"]) | StrOutputParser()
    with PromptWatch():
        PromptWatch.log_user_question("Why?")
        chain.invoke({"question": "Why?"})      # the app's question: not again
        chain.invoke({"question": "Why?"})      # asked again, not logged by the app: recorded
        PromptWatch.log_user_question("How?")
        chain.invoke({"question": "When?"})     # another question than the app logged: recorded
        PromptWatch.log_user_question("Then? ")
        chain.invoke({"question": "Then?"})     # the same but for white space: not again
    records = sorted(_records(sdk), key=lambda item: item["order"])
    roots = [item.get("text") or item["activity_type"] for item in records if "parent_activity_id" not in item]
    assert roots == ["Why?", "chain-sequence", "Why?", "chain-sequence", "How?", "When?", "chain-sequence",
                     "Then? ", "chain-sequence"]  # fmt: skip


def test_an_answer_its_chain_recorded_is_not_recorded_again_by_the_app(sdk):
    chain = RunnableLambda(lambda inputs: {"answer": inputs["question"].upper()})
    with PromptWatch():
        answer = chain.invoke({"question": "yes"})["answer"]
        PromptWatch.log_assistant_answer(answer)               # what the chain recorded: not again
        chain.invoke({"question": "yes"})                      # the same answer in a later turn: recorded
        PromptWatch.log_assistant_answer("YES", feedback_label=1)  # feedback: goes on the chain's answer
        PromptWatch.log_assistant_answer("YES")                # not right after a chain's answer: recorded
        answer = chain.invoke({"question": "no"})["answer"]
        PromptWatch.log_assistant_answer("NO!")                # another text than the chain's: recorded
        chain.invoke({"question": "no"})
        PromptWatch.log("looked it up")
        PromptWatch.log_assistant_answer("NO")                 # not right after: something came between
    records = sorted(_records(sdk), key=lambda item: item["order"])
    answers = [(item["text"], item.get("feedback_label")) for item in records if item["activity_type"] == "answer"]
    assert answers == [("YES", None), ("YES", 1), ("YES", None), ("NO", None), ("NO!", None), ("NO", None),
                       ("NO", None)]


def test_feedback_and_metadata_on_the_chains_answer_update_it(sdk):
    """The answer is sent again under its id, ending later (the server's rule for an update), with what the
    app added; the session's `on_activity` callbacks see the update too."""
    seen = []
    chain = RunnableLambda(lambda inputs: {"answer": "Rotate it in Settings."})
    with PromptWatch() as pw:
        pw.add_on_activity_callback(seen.append)
        chain.invoke({"question": "How?"})
        PromptWatch.log_assistant_answer(" Rotate it in Settings.", feedback_rating=4, feedback_notes="fine",
                                         metadata={"api_key": "sk-1", "channel": "web"})
    promptwatch.flush(5)
    copies = [item for item in sdk.activities if item["activity_type"] == "answer"]
    assert len(copies) == 2 and copies[0]["id"] == copies[1]["id"]
    first, update = copies
    assert "feedback_rating" not in first and "metadata" not in first
    assert update["end_time"] > first["end_time"] and update["start_time"] == first["start_time"]
    assert (update["order"], update["text"]) == (first["order"], "Rotate it in Settings.")
    assert (update["feedback_rating"], update["feedback_notes"]) == (4, "fine")
    assert update["metadata"] == {"api_key": "[redacted]", "channel": "web"}
    assert [item.get("feedback_rating") for item in seen if item["activity_type"] == "answer"] == [None, 4]
    assert sdk.latest_sessions()[pw.session_id]["is_error"] is False


def test_tools_retrievers_questions_and_answers(sdk):
    retriever = KeywordRetriever()
    chain = RunnableLambda(lambda inputs: {"answer": word_count.invoke(inputs["question"]),
                                           "docs": retriever.invoke(inputs["question"])})
    with PromptWatch():
        chain.invoke({"question": "how many words here"})
    records = _records(sdk)
    kinds = {item["activity_type"]: item for item in records}
    assert kinds["question"]["text"] == "how many words here"
    assert kinds["answer"]["text"] == "4"
    assert kinds["action"]["tool_type"] == "word_count" and kinds["action"]["output"] == "4"
    docs = kinds["retrieved-docs"]
    assert docs["input"] == "how many words here"
    assert docs["documents"][0]["text"] == "about how many words here" and docs["documents"][0]["id"] == "d1"
    assert docs["scores"] == [0.9, 0.4]
    chain_id = kinds["chain-sequence"]["id"]
    assert kinds["action"]["parent_activity_id"] == chain_id
    assert kinds["retrieved-docs"]["parent_activity_id"] == chain_id


def test_errors_are_recorded_and_raised(sdk):
    def explode(_):
        raise ValueError("backend down")

    chain = PromptTemplate.from_template("{x}") | RunnableLambda(explode)
    with pytest.raises(ValueError, match="backend down"), PromptWatch() as escaped:
        chain.invoke({"x": "1"})
    with PromptWatch() as recovered, pytest.raises(ValueError, match="backend down"):
        chain.invoke({"x": "2"})   # the app catches it: the session goes on
    for session_id in (escaped.session_id, recovered.session_id):
        rows = [item for item in _records(sdk) if item["session_id"] == session_id]
        assert sorted((item["name"], item.get("error")) for item in rows) == [
            ("RunnableSequence", "ValueError: backend down"), ("explode", "ValueError: backend down")]
    sessions = sdk.latest_sessions()
    assert sessions[escaped.session_id]["is_error"] is True
    assert sessions[recovered.session_id]["is_error"] is False


def test_chat_openai_in_a_chain_with_a_template_and_a_tool(sdk, fake_openai):
    llm = ChatOpenAI(model="gpt-fake", api_key="sk-test", base_url=fake_openai.base_url, temperature=0.1,
                     max_retries=0)
    prompt = ChatPromptTemplate.from_messages([("system", "Answer in one line."), ("human", "{topic}")])
    chain = prompt | llm | StrOutputParser() | word_count
    with PromptWatch():
        assert chain.invoke({"topic": "tell me a joke"}) == "5"
    records = _records(sdk)
    llm_record = next(item for item in records if item["activity_type"] == "llm-prompt")
    assert llm_record["model"] == "gpt-fake"  # the model asked for; the provider's answer is metadata
    assert llm_record["metadata"] == {"response_model": "gpt-fake-0001"}
    assert llm_record["provider"] == "openai"
    assert llm_record["settings"]["temperature"] == 0.1
    assert llm_record["usage"] == {"prompt_tokens": 8, "completion_tokens": 5, "total_tokens": 13}
    assert llm_record["generated"] == "Echo: tell me a joke"
    action = next(item for item in records if item["activity_type"] == "action")
    assert action["output"] == "5"
    assert action["parent_activity_id"] == llm_record["parent_activity_id"]


def test_concurrent_async_contexts_do_not_mix(sdk):
    async def one(index):
        async with PromptWatch(session_id=f"s{index}"):
            await FakeListLLM(responses=[f"r{index}"]).ainvoke(f"p{index}")

    async def main():
        await asyncio.gather(*(one(i) for i in range(5)))

    asyncio.run(main())
    for item in _records(sdk):
        assert item["session_id"] == f"s{item['prompt'][1:]}" and item["generated"] == f"r{item['prompt'][1:]}"


def test_a_run_after_the_context_was_left_elsewhere_is_not_recorded_into_its_finished_session(sdk):
    """A task started while `start_session()`'s context was open still carries its LangChain handler after
    `finish_session()` ran in another thread: its runs are not the finished session's."""

    async def main():
        pw = PromptWatch(session_id="finished")
        pw.start_session()
        PromptWatch.log_user_question("q?")

        async def later():
            await done.wait()
            await FakeListLLM(responses=["late"]).ainvoke("after")

        done = asyncio.Event()
        task = asyncio.create_task(later())
        await asyncio.to_thread(pw.finish_session)
        done.set()
        await task

    asyncio.run(main())
    late = [item for item in _records(sdk) if item.get("generated") == "late"]
    assert len(late) == 1 and late[0]["session_id"] != "finished"


def test_explicit_handler_outside_a_context_and_under_observe(sdk):
    handler = PromptWatchCallbackHandler()

    @observe(name="outer")
    def outer():
        return FakeListLLM(responses=["x"]).invoke("p", config={"callbacks": [handler]})

    outer()
    records = {item["activity_type"]: item for item in _records(sdk)}
    assert records["llm-prompt"]["parent_activity_id"] == records["span"]["id"]


def test_no_recording_outside_a_context_without_a_handler(sdk):
    FakeListLLM(responses=["x"]).invoke("p")
    assert _records(sdk) == []


def test_get_langchain_callback_handler(sdk):
    with PromptWatch() as pw:
        handler = pw.langchain.get_langchain_callback_handler()
    assert isinstance(handler, PromptWatchCallbackHandler)
