"""`@observe` and `span()`: the four function kinds, trees, inputs and outputs, errors passing through."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

import promptwatch
from promptwatch import PromptWatch, observe, span
from promptwatch.sdk import spans as spans_module


def _by_name(sink):
    return {item["name"]: item for item in sink.latest_activities().values()}


def test_sync_function_records_inputs_outputs_and_its_own_session(sdk):
    @observe
    def double(x, factor=2):
        return {"value": x * factor}

    assert double(21) == {"value": 42}
    promptwatch.flush(5)
    record = _by_name(sdk)[double.__qualname__]
    assert record["activity_type"] == "span"
    assert record["inputs"] == {"x": 21}
    assert record["outputs"] == {"value": 42}
    assert record["end_time"] >= record["start_time"]
    assert record["parent_activity_id"] is None if "parent_activity_id" in record else True
    # no PromptWatch context: the call is the root of a session of its own
    session = sdk.latest_sessions()[record["session_id"]]
    assert session["session_name"] == double.__qualname__
    assert session["end_time"]


def test_secret_named_arguments_are_redacted_positional_or_keyword(sdk):
    @observe
    def call_provider(api_key, prompt, **options):
        return "ok"

    call_provider("sk-positional-secret", "hello", token="tok-keyword-secret", temperature=0.2)
    promptwatch.flush(5)
    record = _by_name(sdk)[call_provider.__qualname__]
    assert record["inputs"] == {"api_key": "[redacted]", "prompt": "hello", "token": "[redacted]", "temperature": 0.2}
    sent = str(sdk.latest_activities())
    assert "positional-secret" not in sent and "keyword-secret" not in sent


def test_nested_calls_make_a_tree(sdk):
    @observe(name="leaf")
    def leaf(i):
        return i

    @observe(name="middle")
    def middle():
        return [leaf(i) for i in range(2)]

    @observe(name="root")
    def root():
        return middle()

    root()
    promptwatch.flush(5)
    records = list(sdk.latest_activities().values())
    by_id = {item["id"]: item for item in records}
    leaves = [item for item in records if item["name"] == "leaf"]
    assert len(leaves) == 2
    for item in leaves:
        assert by_id[item["parent_activity_id"]]["name"] == "middle"
    middle_record = next(item for item in records if item["name"] == "middle")
    root_record = by_id[middle_record["parent_activity_id"]]
    assert root_record["name"] == "root" and "parent_activity_id" not in root_record
    assert {item["session_id"] for item in records} == {root_record["id"]}


def test_async_function(sdk):
    @observe(name="fetch")
    async def fetch(url):
        await asyncio.sleep(0)
        return url.upper()

    assert asyncio.run(fetch("a")) == "A"
    promptwatch.flush(5)
    assert _by_name(sdk)["fetch"]["outputs"] == {"output": "A"}


def test_generator_records_what_it_yielded_and_is_current_only_inside(sdk):
    seen_inside = []

    @observe(name="tokens")
    def tokens(n):
        for i in range(n):
            seen_inside.append(
                promptwatch.PromptWatch.get_active_instance() is None and spans_module.current_span.get() is not None
            )
            yield f"t{i} "

    generator = tokens(3)
    assert spans_module.current_span.get() is None
    assert list(generator) == ["t0 ", "t1 ", "t2 "]
    assert seen_inside == [True, True, True]
    assert spans_module.current_span.get() is None
    promptwatch.flush(5)
    assert _by_name(sdk)["tokens"]["outputs"] == {"output": "t0 t1 t2 "}


def test_generator_closed_early_and_send(sdk):
    @observe(name="echo")
    def echo():
        received = yield "ready"
        while True:
            received = yield f"got {received}"

    generator = echo()
    assert next(generator) == "ready"
    assert generator.send("x") == "got x"
    generator.close()
    promptwatch.flush(5)
    record = _by_name(sdk)["echo"]
    assert record["outputs"] == {"output": "readygot x"}
    assert "error" not in record


def test_async_generator(sdk):
    @observe(name="stream")
    async def stream():
        for i in range(3):
            await asyncio.sleep(0)
            yield i

    async def consume():
        return [item async for item in stream()]

    assert asyncio.run(consume()) == [0, 1, 2]
    promptwatch.flush(5)
    assert _by_name(sdk)["stream"]["outputs"] == {"output": [0, 1, 2]}


@pytest.mark.parametrize("kind", ["sync", "async", "generator", "async-generator"])
def test_exceptions_pass_through_untouched_and_are_recorded(sdk, kind):
    class Boom(Exception):
        pass

    error = Boom("no")

    @observe(name="fails")
    def sync_fails():
        raise error

    @observe(name="fails")
    async def async_fails():
        raise error

    @observe(name="fails")
    def generator_fails():
        yield 1
        raise error

    @observe(name="fails")
    async def async_generator_fails():
        yield 1
        raise error

    async def drain_async():
        return [item async for item in async_generator_fails()]

    runs = {
        "sync": sync_fails,
        "async": lambda: asyncio.run(async_fails()),
        "generator": lambda: list(generator_fails()),
        "async-generator": lambda: asyncio.run(drain_async()),
    }
    with pytest.raises(Boom) as raised:
        runs[kind]()
    assert raised.value is error
    promptwatch.flush(5)
    record = _by_name(sdk)["fails"]
    assert record["error"] == "Boom: no"
    assert sdk.latest_sessions()[record["session_id"]]["is_error"] is True


@pytest.mark.parametrize("scope", ["context", "implicit"])
def test_an_exception_the_app_catches_fails_its_call_not_the_session(sdk, scope):
    """The failed call records its error; the session is an error session only when the exception leaves
    it: its `with` block, or the outermost call of a session of its own."""

    @observe(name="lookup")
    def lookup(query):
        raise TimeoutError(f"down for {query}")

    @observe(name="turn")
    def turn(query):
        try:
            return lookup(query)
        except TimeoutError:
            return "try later"

    if scope == "context":
        with PromptWatch() as recovered, contextlib.suppress(TimeoutError):
            lookup("a")
        with pytest.raises(TimeoutError), PromptWatch() as failed:
            lookup("b")
        recovered_id, failed_id = recovered.session_id, failed.session_id
    else:
        assert turn("a") == "try later"
        with pytest.raises(TimeoutError):
            lookup("b")
        promptwatch.flush(5)
        roots = {
            item["name"]: item["id"] for item in sdk.latest_activities().values() if item["session_id"] == item["id"]
        }
        recovered_id, failed_id = roots["turn"], roots["lookup"]
    promptwatch.flush(5)
    errors = {item["session_id"]: item["error"] for item in sdk.latest_activities().values() if "error" in item}
    assert errors == {recovered_id: "TimeoutError: down for a", failed_id: "TimeoutError: down for b"}
    sessions = sdk.latest_sessions()
    assert sessions[recovered_id]["is_error"] is False
    assert sessions[failed_id]["is_error"] is True


def test_methods_skip_self_and_keep_extra_positional_arguments(sdk):
    class Service:
        @observe
        def run(self, a, *rest, **options):
            return a

    Service().run(1, 2, 3, mode="x")
    promptwatch.flush(5)
    record = next(iter(sdk.latest_activities().values()))
    assert record["inputs"] == {"a": 1, "args": [2, 3], "mode": "x"}


def test_typed_observe_fills_the_fields_of_its_type(sdk):
    @observe(as_type="llm-prompt", name="llm")
    def complete(prompt):
        return "done"

    @observe(as_type="action", name="tool")
    def tool(query):
        return "42"

    @observe(as_type="retrieved-docs", name="docs")
    def retrieve(query):
        return [{"page_content": "a", "metadata": {"source": "kb.md"}}, "plain"]

    complete("say done")
    tool("6*7")
    retrieve("q")
    promptwatch.flush(5)
    records = _by_name(sdk)
    assert records["llm"]["prompt"] == "say done" and records["llm"]["generated"] == "done"
    assert records["tool"]["input"] == "6*7" and records["tool"]["output"] == "42"
    assert records["docs"]["documents"][0] == {"text": "a", "source": "kb.md", "metadata": {"source": "kb.md"}}
    assert records["docs"]["documents"][1] == {"text": "plain"}


def test_an_llm_function_s_arguments_fill_its_prompt_model_and_settings(sdk):
    @observe(as_type="llm-prompt", name="poem")
    def my_llm(prompt, model, temperature=0.7, user=None):
        return "Roses are red."

    @observe(as_type="llm-prompt", name="chat")
    def chat(messages, model, **options):
        return {"text": "hello"}

    @observe(as_type="llm-prompt", name="answer")
    def answer(question, context, model, max_tokens):
        return "42"

    my_llm("write a poem", model="gpt-4o-mini", temperature=0.2, user="u-1")
    chat([{"role": "user", "content": "hi"}], "gpt-4o", seed=7)
    answer("why?", "docs", "m" * 201, max_tokens=5)  # no model name is that long: an argument like another
    promptwatch.flush(5)
    records = _by_name(sdk)
    assert not sdk.invalid
    poem = records["poem"]
    assert (poem["prompt"], poem["model"], poem["generated"]) == ("write a poem", "gpt-4o-mini", "Roses are red.")
    assert poem["settings"] == {"temperature": 0.2, "user": "u-1"}  # every other argument, when the prompt is named
    assert records["chat"]["prompt"] == [{"role": "user", "text": "hi"}]
    assert (records["chat"]["model"], records["chat"]["settings"]) == ("gpt-4o", {"seed": 7})
    assert records["chat"]["generated"] == "hello"
    # without a prompt argument the prompt is what is left; the settings are those of well-known names
    assert records["answer"]["prompt"] == str({"question": "why?", "context": "docs", "model": "m" * 201})
    assert "model" not in records["answer"] and records["answer"]["settings"] == {"max_tokens": 5}


def test_current_activity_update_sets_the_call_s_fields_as_bounded_copies(sdk, caplog):
    @observe(as_type="llm-prompt", name="llm")
    def my_llm(prompt, model):
        activity = promptwatch.current_activity()
        activity.update(
            model="gpt-4o-mini-2024-07-18", usage={"prompt_tokens": 50, "completion_tokens": 10}, caption="x" * 100_050
        )
        # what the API would refuse is left out, not the activity
        activity.update(modle="typo", usage={"input_tokens": 3}, provider="p" * 101)
        activity.update(modle="typo")
        activity.update(feedback_notes="gone soon").update(feedback_notes=None)  # None clears a field set before
        return "done"

    my_llm("write a poem", model="gpt-4o-mini")
    promptwatch.flush(5)
    record = _by_name(sdk)["llm"]
    assert not sdk.invalid
    assert record["model"] == "gpt-4o-mini-2024-07-18"  # what the app sets wins over the arguments
    assert record["usage"] == {"prompt_tokens": 50, "completion_tokens": 10}
    assert record["caption"] == "x" * 100_000 + "…[50 more chars]"
    assert record.get("feedback_notes") is None
    assert (record["prompt"], record["generated"], "provider" in record) == ("write a poem", "done", False)
    assert [r.getMessage() for r in caplog.records if "left out" in r.getMessage()] == [
        "PromptWatch: an activity has no field 'modle'; it was left out.",
        "PromptWatch: usage.input_tokens was left out: Extra inputs are not permitted.",
        "PromptWatch: provider was left out: String should have at most 100 characters.",
    ]


def test_current_activity_outside_any_records_nothing_and_never_raises(sdk):
    with PromptWatch():
        assert promptwatch.current_activity().update(model="m").set_output("x") is not None
    assert promptwatch.current_activity().update(model="m") is not None
    promptwatch.flush(5)
    assert sdk.latest_activities() == {}


def test_manual_span_nests_and_records_output_and_metadata(sdk):
    @observe(name="inner")
    def inner():
        return 1

    with span("outer", inputs={"q": "hi"}) as outer:
        inner()
        outer.set_output({"answer": "ok"}).set_metadata(stage="test", api_key="sk-secret")
    promptwatch.flush(5)
    records = _by_name(sdk)
    assert records["inner"]["parent_activity_id"] == records["outer"]["id"]
    assert records["outer"]["inputs"] == {"q": "hi"}
    assert records["outer"]["outputs"] == {"answer": "ok"}
    assert records["outer"]["metadata"] == {"stage": "test", "api_key": "[redacted]"}


def test_async_span_records_exception_and_reraises(sdk):
    async def main():
        async with span("async-block"):
            raise KeyError("k")

    with pytest.raises(KeyError):
        asyncio.run(main())
    promptwatch.flush(5)
    assert _by_name(sdk)["async-block"]["error"] == "KeyError: 'k'"


def test_observe_inside_promptwatch_joins_its_session_with_order(sdk):
    @observe(name="step")
    def step():
        return None

    with PromptWatch(tracking_project="proj", tracking_tenant="cust") as pw:
        step()
        step()
    promptwatch.flush(5)
    steps = sorted((item for item in sdk.latest_activities().values()), key=lambda item: item["order"])
    assert [item["order"] for item in steps] == [1, 2]
    assert {item["session_id"] for item in steps} == {pw.session_id}
    session = sdk.latest_sessions()[pw.session_id]
    assert session["tracking_project"] == "proj" and session["tracking_tenant"] == "cust"
    assert session["end_time"]


def test_disabled_sdk_runs_the_function_and_records_nothing(strict_guard):
    calls = []

    @observe
    def work(x):
        calls.append(x)
        return x

    assert work(1) == 1
    with span("s") as s:
        s.set_output(1)
    assert calls == [1]
