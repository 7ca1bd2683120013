"""LangChain chat calls are recorded whole: a reply with text and tool calls keeps both, and a message's
images, audio and files stay on it, LangChain's own data blocks in the form OpenAI's Chat Completions takes."""

from __future__ import annotations

import json

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI

import promptwatch
from promptwatch import PromptWatch
from tests.support.fake_openai import NARRATION

PNG = "iVBORw0KGgoAAAANSUhEUg"
PDF = "JVBERi0x"


def lookup(query: str) -> str:
    """Looks the query up."""
    return "sunny"


def _calls(sdk, count):
    promptwatch.flush(5)
    records = sorted(sdk.of_type("llm-prompt"), key=lambda record: record["start_time"])
    assert len(records) == count, records
    assert not sdk.invalid, sdk.invalid
    return records


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_with_text_and_tool_calls_keeps_the_text_and_the_calls(sdk, fake_openai, stream):
    model = ChatOpenAI(model="gpt-4o-mini", api_key="sk-test", base_url=fake_openai.base_url, max_retries=0)
    model = model.bind_tools([lookup])
    question = "NARRATE the weather?"
    with PromptWatch():
        if stream:
            list(model.stream(question))
        else:
            assert model.invoke(question).content == NARRATION
    (record,) = _calls(sdk, 1)
    assert record["generated"] == NARRATION
    call = {"id": "call_fake_1", "name": "lookup", "arguments": json.dumps({"query": question})}
    assert record["outputs"] == {"tool_calls": [call]}


def test_a_reply_that_only_calls_tools_is_still_its_calls_as_json(sdk, fake_openai):
    model = ChatOpenAI(model="gpt-4o-mini", api_key="sk-test", base_url=fake_openai.base_url, max_retries=0)
    with PromptWatch():
        model.bind_tools([lookup]).invoke("weather?")
    (record,) = _calls(sdk, 1)
    assert json.loads(record["generated"]) == [
        {"id": "call_fake_1", "name": "lookup", "arguments": json.dumps({"query": "weather?"})}
    ]
    assert "outputs" not in record


def test_images_audio_and_files_stay_on_their_message(sdk):
    openai_image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}
    content = [
        {"type": "text", "text": "What is on these?"},
        openai_image,
        {"type": "image", "base64": PNG, "mime_type": "image/png"},
        {"type": "image", "url": "https://example.com/cat.png"},
        {"type": "audio", "base64": "UklGRiQAAABXQVZF", "mime_type": "audio/wav"},
        {"type": "file", "base64": PDF, "mime_type": "application/pdf", "filename": "notes.pdf"},
    ]
    with PromptWatch():
        FakeListChatModel(responses=["Cats."]).invoke([HumanMessage(content=content)])
    (record,) = _calls(sdk, 1)
    assert record["prompt"] == [
        {
            "role": "user",
            "text": "What is on these?",
            "content": [
                openai_image,
                openai_image,
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZF", "format": "wav"}},
                {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF}", "filename": "notes.pdf"}},
            ],
        }
    ]
