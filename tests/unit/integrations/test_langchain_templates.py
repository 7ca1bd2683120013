"""Finding and naming the prompt templates inside LangChain runnables, and what a registration sends."""

from __future__ import annotations

from langchain_core.language_models.fake import FakeListLLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from langchain_core.runnables import RunnableParallel, RunnablePassthrough

import promptwatch
from promptwatch import (
    PromptWatch,
    find_and_register_templates_recursive,
    find_templates_recursive,
    register_prompt_template,
)
from promptwatch.integrations.langchain_templates import to_langchain_template
from promptwatch.sdk.prompt_labels import LabelledTemplate
from promptwatch.sdk.templates import describe_template, registry


def _chain():
    summary = PromptTemplate.from_template("Summarise {text}")
    answer = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{question} {summary}")])
    llm = FakeListLLM(responses=["ok"])
    inner = {"summary": summary | llm | StrOutputParser(), "question": RunnablePassthrough()}
    return RunnableParallel(inner) | answer | llm.with_config(tags=["x"]), summary, answer


def test_find_templates_walks_sequences_parallel_branches_and_bindings():
    chain, summary, answer = _chain()
    found = find_templates_recursive(chain, "qa")
    assert [(path, template) for path, template in found] == [
        ("qa.steps[0].summary.steps[0]", summary),
        ("qa.steps[1]", answer),
    ]
    assert find_templates_recursive(summary) == [("PromptTemplate", summary)]


def test_find_and_register_names_the_unregistered_ones(sdk):
    registry.clear()
    chain, summary, answer = _chain()
    register_prompt_template("answer", answer, version="2.0")
    assert find_and_register_templates_recursive(chain, "qa") == ["qa.steps[0].summary.steps[0]"]
    assert find_and_register_templates_recursive(chain, "qa") == []
    with PromptWatch():
        chain.invoke({"text": "long text", "question": "why?"})
    promptwatch.flush(5)
    names = sorted((item["prompt_template"]["template_name"], item["prompt_template"]["template_version"])
                   for item in sdk.of_type("llm-prompt") if item.get("prompt_template"))
    assert names == [("answer", "2.0"), ("qa.steps[0].summary.steps[0]", None)]
    registry.clear()


def test_registration_returns_the_template_and_a_string_describes_like_langchain():
    template = PromptTemplate.from_template("Hi {name}, {greeting}")
    assert register_prompt_template("hi", template) is template
    assert describe_template("Hi {name}, {greeting}") == describe_template(template) == {
        "prompt_template": "Hi {name}, {greeting}", "prompt_input_params": ["greeting", "name"], "format": "f-string"}
    assert PromptWatch().register_prompt_template("hi", template, "1.0") is template
    registry.clear()


def test_a_fetched_chat_version_describes_as_the_server_stored_it():
    stored = [{"prompt_template": "You help {company}.", "role": "system", "prompt_input_params": ["company"],
               "format": "f-string"}, "history",
              {"prompt_template": "{question}", "role": "user", "prompt_input_params": ["question"],
               "format": "f-string"}]
    template = to_langchain_template(LabelledTemplate("n", "production", "1.0.0", stored, ["company", "history",
                                                      "question"], "chat_messages", ""))
    assert describe_template(template)["prompt_template"] == stored
