"""What replay sends: edits fill only the messages the recorded template produced, and every placeholder
needs a value."""

import pytest

from promptwatch.schema.prompt_loop import ReplayCreate
from promptwatch.server.errors import InvalidInput
from promptwatch.server.services.replay import build_request

RECORDED = {
    "model": "gpt-4o-mini",
    "prompt": [{"role": "system", "text": "Be brief."}, {"role": "user", "text": "Q: Prague"}],
    "prompt_template": {"prompt_template": "Q: {city}", "format": "f-string"},
    "prompt_input_values": {"city": "Prague"},
}


def messages(recorded: dict = RECORDED, **edits) -> list[dict]:
    return build_request(recorded, ReplayCreate(**edits), None)["messages"]


def refusal(recorded: dict = RECORDED, **edits) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        messages(recorded, **edits)
    return refused.value


def test_format_specs_escapes_and_nested_placeholders_are_filled_as_python_does():
    edited = messages(template="{{Q}}: {city:>8} {city:.{n}}", input_values={"n": "2"})
    assert edited == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "{Q}:   Prague Pr"}]


@pytest.mark.parametrize(
    "template", ["{", "}", "{0}", "{}", "{city.upper}", "{city[0]}", "{city:d}", "{city!x}", "{city:>2000000000}"]
)
def test_a_template_that_is_no_f_string_is_refused(template):
    assert refusal(template=template).extra == {"field": "template"}


def test_every_missing_placeholder_is_named_a_messages_placeholder_too():
    refused = refusal(template=[{"role": "user", "prompt_template": "{a} {city} {b:{w}}"}, "history"])
    assert [e["field"] for e in refused.extra["errors"]] == [
        "input_values.a",
        "input_values.b",
        "input_values.history",
        "input_values.w",
    ]


def test_a_value_the_call_did_not_record_must_be_sent():
    recorded = {
        **RECORDED,
        "prompt": [{"role": "system", "text": "Be brief."}, {"role": "user", "text": "Q: Prague ?"}],
        "prompt_template": {"prompt_template": "Q: {city} {partial}"},  # a LangChain partial variable
    }
    assert [e["field"] for e in refusal(recorded, input_values={"city": "Brno"}).extra["errors"]] == [
        "input_values.partial"
    ]
    assert messages(recorded, input_values={"city": "Brno", "partial": "?"})[1]["content"] == "Q: Brno ?"


def test_a_template_output_found_twice_is_ambiguous():
    twice = {**RECORDED, "prompt": [{"role": "user", "text": "Q: Prague"}, {"role": "user", "text": "Q: Prague"}]}
    assert "messages" in refusal(twice, input_values={"city": "Brno"}).detail


def test_a_single_recorded_message_is_replaced_whatever_it_says():
    assert messages({**RECORDED, "prompt": "edited after the call"}, input_values={"city": "Brno"}) == [
        {"role": "user", "content": "Q: Brno"}
    ]


def test_a_recorded_message_template_in_another_style_is_named():
    recorded = {
        **RECORDED,
        "prompt_template": {"prompt_template": [{"prompt_template": "{{x}}", "format": "mustache"}]},
    }
    assert "mustache" in refusal(recorded, input_values={"x": "y"}).detail
    assert messages(recorded) == messages(RECORDED)  # replayed as recorded


def test_a_literal_message_of_a_chat_template_is_sent_as_written():
    template = [
        {"role": "system", "text": 'Answer in JSON: {"city": ...}'},
        {"role": "user", "prompt_template": "{city}"},
    ]
    assert messages({**RECORDED, "prompt": "Q: Prague"}, template=template) == [
        {"role": "system", "content": 'Answer in JSON: {"city": ...}'},
        {"role": "user", "content": "Prague"},
    ]


def test_items_without_a_role_that_are_no_messages_are_left_out():
    recorded = {
        "model": "gpt-4o-mini",
        "prompt": [
            {"role": "user", "text": "What is 2 + 2?"},
            {"type": "reasoning", "encrypted_content": "gAAAA", "summary": []},
            {"type": "message", "text": "4"},
        ],
    }
    assert messages(recorded) == [{"role": "user", "content": "What is 2 + 2?"}, {"role": "user", "content": "4"}]


@pytest.mark.parametrize(
    "edited", [[], [{"role": "user"}], [{"role": "user", "text": "  "}], [{"role": "user", "content": []}]]
)
def test_nothing_to_send_is_refused_naming_messages(edited):
    assert refusal(messages=edited).extra == {"field": "messages"}
