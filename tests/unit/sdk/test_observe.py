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
            seen_inside.append(promptwatch.PromptWatch.get_active_instance() is None
                               and spans_module.current_span.get() is not None)
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
        roots = {item["name"]: item["id"] for item in sdk.latest_activities().values()
                 if item["session_id"] == item["id"]}
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
